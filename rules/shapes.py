"""The size limits of a task's geometries and the check that a segmentation's holes lie inside its
outline: the one implementation label saves (rules/labels.py) and DataGym imports
(formats/datagym.py) share, so both refuse the same documents for the same reasons. Pure code: the
app builds the Limits from its settings (labeling/limits.py) and passes them in.

The check takes the rings as drawn. It never repairs them first: GEOS's repair (``buffer(0)``) of
a ring that crosses itself thousands of times ran for up to a minute on a 20 KB request
(docs/benchmarks.md "Validation"). For rings that do not cross themselves, the answer is
shapely's ``outline.covers(hole)``; for rings that do, holes are judged against the outline's
even-odd interior, the area raster/masks.py fills.

Its cost is bounded up front. Before GEOS runs, ``HoleCheck`` estimates the work from the
coordinates alone (numpy; see ``_estimate``) and refuses a task whose segmentations would
together exceed LABELYARD_MAX_HOLE_CHECK_WORK steps. Ordinary shapes use a small share of it; what
it stops are the shapes that make GEOS slow: outlines with thousands of edges level with every
hole (combs, suns) and holes lying along the outline for thousands of edges.
"""

from dataclasses import dataclass

import numpy as np
import shapely

# The hole check's cost model in steps of about 10 ns of GEOS time on the machine of
# docs/benchmarks.md; the weights were measured with bench/validate_worst.py.
STEPS_PER_HOLE = 300  # building one hole polygon and testing it
STEPS_PER_OUTLINE_POINT = 4  # building and indexing the outline
STEPS_PER_CROSSING = 8  # one outline edge level with a hole's first point (the point-in-polygon ray)
STEPS_PER_EDGE_PAIR = 30  # one outline edge whose bounding box meets a hole edge's
STEPS_PER_TOUCH = 500  # the same, for a hole that meets the outline (the exact relate)
MAX_GRID = 512  # cells per side of the grid that counts edge pairs

# DE-9IM: nothing of the hole (interior or boundary) in the outline's exterior, i.e. "covers".
COVERS = "******FF*"


@dataclass(frozen=True)
class Limits:
    """How large one task's labels may be. Each limit is a setting (README, "Configuration by
    environment"); the defaults here are the settings' defaults."""

    geometries: int = 20_000  # LABELYARD_MAX_GEOMETRIES
    ring_points: int = 100_000  # LABELYARD_MAX_RING_POINTS
    holes: int = 1_000  # LABELYARD_MAX_HOLES
    hole_work: int = 50_000_000  # LABELYARD_MAX_HOLE_CHECK_WORK

    def geometries_error(self, count):
        return (
            f"{count} geometries (nested ones included); a task holds at most {self.geometries} "
            "(setting LABELYARD_MAX_GEOMETRIES)"
        )

    def ring_points_error(self, count):
        return f"{count} points; a line or ring has at most {self.ring_points} (setting LABELYARD_MAX_RING_POINTS)"

    def holes_error(self, count):
        return f"{count} holes; a segmentation has at most {self.holes} (setting LABELYARD_MAX_HOLES)"


DEFAULT_LIMITS = Limits()


class TooMuchWork(ValueError):
    """Checking a segmentation's holes would take the task past LABELYARD_MAX_HOLE_CHECK_WORK."""

    def __init__(self, needed, left, limit):
        self.needed = needed
        super().__init__(
            f"checking these holes against this outline would take about {needed:,} steps, more than "
            f"the {left:,} left of the task's {limit:,} (setting LABELYARD_MAX_HOLE_CHECK_WORK): "
            "the outline has too many edges level with or beside the holes; simplify it or split the shape"
        )


class HoleCheck:
    """Checks the holes of every segmentation of one task against the task's shared work budget."""

    def __init__(self, limits):
        self.limit = limits.hole_work
        self.left = limits.hole_work

    def spend(self, steps):
        if steps > self.left:
            raise TooMuchWork(steps, self.left, self.limit)
        self.left -= steps

    def holes_outside(self, points, lengths):
        """Positions (1 is the first hole) of the holes that do not lie inside the outline.

        `points` holds the (x, y) points of the outline and then of each hole, `lengths` how many
        belong to each ring (three or more). Raises TooMuchWork, having run nothing expensive,
        when the task's budget does not cover the check.
        """
        if len(lengths) < 2:
            return []
        shape = _Rings(np.asarray(points, dtype=np.float64).reshape(-1, 2), np.asarray(lengths, dtype=np.int64))
        estimate = _estimate(shape)
        self.spend(estimate.first)
        if _on_one_line(shape.points[: shape.lengths[0]]):  # GEOS answers nonsense for such an outline
            return list(range(1, len(lengths)))
        # GEOS casts its rays along x; when the outline has fewer edges level with the holes along
        # y, everything is mirrored across the diagonal (which keeps every containment).
        outline, holes = shape.polygons(swap=estimate.swap)
        shapely.prepare(outline)
        inside = shapely.contains_properly(outline, holes)
        touching = np.flatnonzero(~inside)
        if touching.size:
            # Holes that meet the outline (or leave it) need the exact relate, whose cost grows with
            # the outline edges beside them.
            self.spend(int(estimate.touch_steps[touching].sum()))
            inside[touching] = shapely.relate_pattern(outline, holes[touching], COVERS)
        # A hole whose points lie on one line is no hole: refused, as before.
        inside &= ~_collapsed(holes)
        return (np.flatnonzero(~inside) + 1).tolist()


def _collapsed(polygons):
    """True where a ring's points all lie on one line (its convex hull has no area)."""
    return shapely.area(shapely.convex_hull(polygons)) == 0


def _on_one_line(points):
    """True when all `points` lie on one line, so their ring has no area (numpy; see _collapsed)."""
    offsets = points - points[0]
    far = offsets[np.argmax(np.abs(offsets[:, 0]) + np.abs(offsets[:, 1]))]
    return not np.any(offsets[:, 0] * far[1] - offsets[:, 1] * far[0])


class _Rings:
    """An outline and its holes as one array of points."""

    def __init__(self, points, lengths):
        self.points = points
        self.lengths = lengths
        self.starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))

    def edges(self, ring_slice):
        """(start points, end points) of the edges of the rings in `ring_slice`, closing edges included."""
        lengths = self.lengths[ring_slice]
        starts = self.starts[ring_slice]
        first, last = starts[0], starts[-1] + lengths[-1]
        index = np.arange(first, last)
        following = index + 1
        following[starts + lengths - 1 - first] = starts
        return self.points[index], self.points[following]

    def polygons(self, swap):
        """The outline and an array of the holes as shapely polygons, all built in one call."""
        points = self.points[:, ::-1] if swap else self.points
        rings = shapely.linearrings(points, indices=np.repeat(np.arange(len(self.lengths)), self.lengths))
        return shapely.polygons(rings[0]), shapely.polygons(rings[1:])


@dataclass(frozen=True)
class _Estimate:
    first: int  # steps of building the shapes and of the hole test every hole gets
    swap: bool  # cast the rays along y instead of x
    touch_steps: np.ndarray  # per hole: the extra steps of the exact relate, should it need one


def _estimate(shape):
    """The GEOS work of checking `shape`, from its coordinates.

    GEOS tests a hole by casting a ray from its first point across every outline edge level with
    it (counted exactly from the sorted extents of the outline edges), then by comparing each hole
    edge with the outline edges whose bounding boxes meet its own (counted from above on a grid,
    see _Grid).
    """
    outline_start, outline_end = shape.edges(slice(0, 1))
    low = np.minimum(outline_start, outline_end)
    high = np.maximum(outline_start, outline_end)
    extents = _Extents(low, high)
    firsts = shape.points[shape.starts[1:]]
    crossings_along_x = int(extents.overlapping(1, firsts[:, 1], firsts[:, 1]).sum())
    crossings_along_y = int(extents.overlapping(0, firsts[:, 0], firsts[:, 0]).sum())
    swap = crossings_along_y < crossings_along_x

    hole_start, hole_end = shape.edges(slice(1, None))
    edge_low = np.minimum(hole_start, hole_end)
    edge_high = np.maximum(hole_start, hole_end)
    # Three upper bounds; the grid is tight for short outline edges, the extents for long ones.
    beside = np.minimum(
        _Grid(low, high, shape.points).overlaps(edge_low, edge_high),
        np.minimum(
            extents.overlapping(0, edge_low[:, 0], edge_high[:, 0]),
            extents.overlapping(1, edge_low[:, 1], edge_high[:, 1]),
        ),
    )
    beside_per_hole = np.add.reduceat(beside, shape.starts[1:] - shape.starts[1])
    first = (
        (len(shape.lengths) - 1) * STEPS_PER_HOLE
        + int(shape.lengths[0]) * STEPS_PER_OUTLINE_POINT
        + min(crossings_along_x, crossings_along_y) * STEPS_PER_CROSSING
        + int(beside_per_hole.sum()) * STEPS_PER_EDGE_PAIR
    )
    return _Estimate(first=first, swap=swap, touch_steps=beside_per_hole * STEPS_PER_TOUCH)


class _Extents:
    """The outline edges' extents along x and y, sorted, to count overlaps with searchsorted."""

    def __init__(self, low, high):
        self.low = np.sort(low, axis=0)
        self.high = np.sort(high, axis=0)

    def overlapping(self, axis, starts, ends):
        """For each interval [start, end] along `axis`, how many outline edges reach into it."""
        reach = np.searchsorted(self.low[:, axis], ends, side="right")
        return reach - np.searchsorted(self.high[:, axis], starts, side="left")


class _Grid:
    """How many outline edges have a bounding box meeting a given box, counted from above.

    The outline's edge boxes are counted per cell of a grid over the shape (a summed-area table
    built with numpy); a box's count is the sum over the cells it touches. Two boxes that meet
    share a cell, so no edge is missed; an edge spanning several of those cells counts several
    times, which only errs towards refusing.
    """

    def __init__(self, low, high, points):
        self.origin = np.array([points[:, 0].min(), points[:, 1].min()])
        self.size = int(min(MAX_GRID, max(4, np.sqrt(len(low)))))
        extent = np.array([points[:, 0].max(), points[:, 1].max()]) - self.origin
        self.cell = np.where(extent > 0, extent / self.size, 1.0)
        x0, y0 = self.cells(low)
        x1, y1 = self.cells(high)
        side = self.size + 1
        corners = np.bincount(y0 * side + x0, minlength=side * side)
        corners -= np.bincount(y0 * side + x1 + 1, minlength=side * side)
        corners -= np.bincount((y1 + 1) * side + x0, minlength=side * side)
        corners += np.bincount((y1 + 1) * side + x1 + 1, minlength=side * side)
        per_cell = corners.reshape(side, side).cumsum(axis=0).cumsum(axis=1)[: self.size, : self.size]
        self.table = np.zeros((side, side), dtype=np.int64)
        self.table[1:, 1:] = per_cell.cumsum(axis=0).cumsum(axis=1)

    def cells(self, points):
        index = np.floor((points - self.origin) / self.cell).astype(np.int64)
        np.clip(index, 0, self.size - 1, out=index)
        return index[:, 0], index[:, 1]

    def overlaps(self, low, high):
        """For each box (low and high corners), the count of outline edge boxes that may meet it."""
        x0, y0 = self.cells(low)
        x1, y1 = self.cells(high)
        table = self.table
        return table[y1 + 1, x1 + 1] - table[y0, x1 + 1] - table[y1 + 1, x0] + table[y0, x0]
