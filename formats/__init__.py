"""Label file formats. Each module is pure (no models, settings or requests) and exposes
``write(...)`` and, where Labelyard accepts the format, ``read(...) -> (items, errors)``."""
