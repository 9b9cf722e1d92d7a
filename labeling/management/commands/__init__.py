"""Management commands of the labeling app."""
