"""Management commands of the exports app."""
