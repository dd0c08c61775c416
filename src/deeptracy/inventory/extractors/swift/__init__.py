"""Extractors for swift formats."""
