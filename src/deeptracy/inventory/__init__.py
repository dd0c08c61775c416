"""Inventory: every dependency of a source tree, read from its manifests, lockfiles and SBOMs."""
