"""Extractors for cpp formats."""
