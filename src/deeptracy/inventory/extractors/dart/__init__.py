"""Extractors for dart formats."""
