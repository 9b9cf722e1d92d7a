"""The DataGym v1 API under /api/v1/, the one the unmodified DataGym Python client calls (docs/api.md)."""
