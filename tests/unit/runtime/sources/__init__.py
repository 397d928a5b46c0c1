"""Tests of the non-kernel event sources and replay."""
