"""The size limits of one task's labels as the settings give them: what label saves
(labeling/labels.py) and imports (labeling/importing.py) pass to the pure checks of rules/."""

from django.conf import settings

from rules.shapes import Limits


def from_settings():
    """The Limits of the current settings, read on each call so a changed setting takes effect."""
    return Limits(
        geometries=settings.LABELYARD_MAX_GEOMETRIES,
        ring_points=settings.LABELYARD_MAX_RING_POINTS,
        holes=settings.LABELYARD_MAX_HOLES,
        hole_work=settings.LABELYARD_MAX_HOLE_CHECK_WORK,
    )
