"""Extractors for r formats."""
