"""Admission webhook tests."""
