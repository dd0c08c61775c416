"""Extractors for rust formats."""
