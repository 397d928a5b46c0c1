"""Matching packages against advisories: ecosystems, ranges, severity, suppression."""
