"""Extractors for ruby formats."""
