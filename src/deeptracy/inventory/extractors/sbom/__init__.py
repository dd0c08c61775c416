"""Extractors for sbom formats."""
