"""Extractors for elixir formats."""
