"""Extractors for go formats."""
