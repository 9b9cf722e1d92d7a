"""The hole check labels saves and imports share (rules/shapes.py): same answers as shapely's
``covers`` for rings that do not cross themselves, even-odd for rings that do, and a bounded cost
for the outlines that make GEOS slow."""

import time

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import shapes

LIMITS = shapes.Limits(geometries=20_000, ring_points=100_000, holes=1_000, hole_work=50_000_000)
SQUARE = [[0, 0], [100, 0], [100, 100], [0, 100]]


def outside(rings, limits=LIMITS):
    points = [point for ring in rings for point in ring]
    return shapes.HoleCheck(limits).holes_outside(points, [len(ring) for ring in rings])


def grid_crossing_outline(rows):
    """An outline zig-zagging across a square `rows` times each way: it crosses itself rows x rows times."""
    ring = []
    for i in range(rows):
        y = 1000 + 1000 * i / rows
        ring += [[1000, y], [2000, y]] if i % 2 == 0 else [[2000, y], [1000, y]]
    for j in range(rows):
        x = 1000.5 + 1000 * j / rows
        ring += [[x, 2000], [x, 1000]] if j % 2 == 0 else [[x, 1000], [x, 2000]]
    return ring


def test_holes_inside_touching_and_outside():
    inside = [[10, 10], [20, 10], [20, 20]]
    on_the_edge = [[0, 40], [10, 45], [0, 50]]  # shares a piece of the outline's left edge
    at_a_corner = [[0, 0], [10, 5], [5, 10]]
    leaving = [[90, 50], [110, 50], [100, 60]]
    far = [[200, 200], [210, 200], [200, 210]]
    rings = [SQUARE, inside, on_the_edge, at_a_corner, leaving, far]
    assert outside(rings) == [4, 5]


def test_a_hole_without_area_is_outside():
    """Three points on a line cover nothing, as before (the old check repaired it to nothing)."""
    assert outside([SQUARE, [[10, 10], [20, 20], [30, 30]]]) == [1]


def test_a_bow_tie_outline_is_read_even_odd():
    """Both lobes of a bow tie are inside it, as the masks fill it (decisions.md, "Masks"); the old
    repair (buffer(0)) kept one lobe and refused a hole in the other."""
    bow_tie = [[0, 0], [10, 10], [10, 0], [0, 10]]
    left_lobe, right_lobe, between = [[1, 4], [2, 5], [1, 6]], [[9, 4], [8, 5], [9, 6]], [[4, 1], [5, 2], [6, 1]]
    assert outside([bow_tie, left_lobe, right_lobe, between]) == [3]


def test_an_outline_crossing_itself_250000_times_is_checked_at_once():
    """The old repair of this 2,000-point outline (a 20 KB request) ran for a minute."""
    ring = grid_crossing_outline(500)
    start = time.perf_counter()
    result = outside([ring, [[1400.1, 1400.1], [1400.3, 1400.1], [1400.1, 1400.3]]])
    assert time.perf_counter() - start < 2
    assert result in ([], [1])


def comb(teeth):
    """Teeth pointing up from a strip: every horizontal line through them crosses all of them."""
    width = 4000 / teeth
    ring = []
    for i in range(teeth):
        x = i * width
        ring += [[x, 100], [x, 1000], [x + width / 2, 1000], [x + width / 2, 100]]
    return [*ring, [4000, 100], [4000, 0], [0, 0]], width


def test_a_comb_is_checked_along_its_teeth():
    """Rays along x would cross every tooth for every hole; mirrored, they cross two."""
    ring, width = comb(25_000)
    holes = [[[i * 25 * width + width / 8, 400], [i * 25 * width + width / 4, 600], [i * 25 * width + width / 8, 600]]
             for i in range(1000)]  # fmt: skip
    start = time.perf_counter()
    assert outside([ring, *holes]) == []
    assert time.perf_counter() - start < 2


def test_holes_lying_along_the_outline_for_thousands_of_edges_are_refused_before_geos_runs():
    """Each of these holes touches the comb's base ~75,000 times; GEOS took 22 ms per hole, so a
    thousand of them 22 s. The estimate refuses them first, naming the setting."""
    ring, _ = comb(25_000)
    holes = [[[i * 0.01, 99], [4000 - i * 0.01, 99], [4000 - i * 0.01, 100], [i * 0.01, 100]] for i in range(1000)]
    start = time.perf_counter()
    with pytest.raises(shapes.TooMuchWork, match="LABELYARD_MAX_HOLE_CHECK_WORK"):
        outside([ring, *holes])
    assert time.perf_counter() - start < 1


def test_the_budget_is_shared_by_every_segmentation_of_a_task():
    ring, _ = comb(25_000)
    hole = [[0.01, 99], [3999.99, 99], [3999.99, 100], [0.01, 100]]
    check = shapes.HoleCheck(LIMITS)
    points = [point for r in (ring, hole) for point in r]
    check.holes_outside(points, [len(ring), len(hole)])
    spent = LIMITS.hole_work - check.left
    assert 0 < spent < LIMITS.hole_work
    for _ in range(LIMITS.hole_work // spent - 1):
        check.holes_outside(points, [len(ring), len(hole)])
    with pytest.raises(shapes.TooMuchWork):
        check.holes_outside(points, [len(ring), len(hole)])


def star(center, radii):
    """A ring that does not cross itself: points at increasing angles around `center`."""
    cx, cy = center
    count = len(radii)
    return [[round(cx + r * np.cos(2 * np.pi * k / count), 3), round(cy + r * np.sin(2 * np.pi * k / count), 3)]
            for k, r in enumerate(radii)]  # fmt: skip


hole_radii = st.lists(st.floats(0.5, 30), min_size=3, max_size=8)
holes = st.lists(st.tuples(st.floats(20, 180), st.floats(20, 180), hole_radii), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(outline=st.lists(st.floats(30, 90), min_size=3, max_size=40), holes=holes)
def test_same_answers_as_shapely_covers_for_rings_that_do_not_cross_themselves(outline, holes):
    rings = [star((100, 100), outline), *(star((x, y), r) for x, y, r in holes)]
    shell = shapely.Polygon(rings[0])
    expected = [i for i, hole in enumerate(rings[1:], start=1) if not shell.covers(shapely.Polygon(hole))]
    assert outside(rings) == expected
