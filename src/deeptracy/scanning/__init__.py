"""The scan pipeline: workspace/clone, inventory, unchanged check, analyzers, merge."""
