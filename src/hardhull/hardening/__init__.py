"""Hardened-image baseline checks on the image config and the squashed file tree."""
