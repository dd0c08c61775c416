"""Extractors for php formats."""
