"""Extractors for java formats."""
