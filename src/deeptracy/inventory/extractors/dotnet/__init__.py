"""Extractors for dotnet formats."""
