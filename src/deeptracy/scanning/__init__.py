"""The scan pipeline: workspace, inventory, analyzers, merge, suppression; plain functions."""
