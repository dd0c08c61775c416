"""Analyzers turn an inventory into findings; `osv` is built in, others are plugins."""
