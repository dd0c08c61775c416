"""One extractor per file format, grouped by ecosystem."""
