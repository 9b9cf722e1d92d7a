"""The native REST API under /api/: one URL module, its views, serializers, parser and error shape."""
