"""Helpers shared by extractors: cheap line lookup in JSON/YAML/TOML text, safe YAML loading,
JSONC, reading files beside the one being extracted, and scoping over a dependency graph."""
