"""Commands: export_labels."""
