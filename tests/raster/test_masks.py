"""Mask rendering (raster/masks.py) against shapely: pixel-centre rule, holes, unions, PNG output."""

import io

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from shapely.geometry import Polygon

from raster import masks

WIDTH, HEIGHT = 320, 240


def centres_inside(geometry, width=WIDTH, height=HEIGHT):
    """Exact reference: shapely's containment test on every pixel centre."""
    ys, xs = np.mgrid[0:height, 0:width]
    return shapely.contains_xy(geometry, xs.ravel() + 0.5, ys.ravel() + 0.5).reshape(height, width)


def star(cx, cy, radius, points, seed):
    rng = np.random.default_rng(seed)
    step = 2 * np.pi / points
    angles = np.arange(points) * step + rng.uniform(0, 0.9 * step, points)
    radii = radius * rng.uniform(0.5, 1.0, points)
    return np.c_[cx + radii * np.cos(angles), cy + radii * np.sin(angles)].tolist()


def even_odd(ring, width=WIDTH, height=HEIGHT):
    """Reference for a ring that may cross itself: a centre is inside when a ray to its left crosses the
    ring an odd number of times, an edge counting for the rows in [min(y0, y1), max(y0, y1))."""
    ys, xs = np.mgrid[0:height, 0:width] + 0.5
    inside = np.zeros((height, width), dtype=bool)
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        if y0 != y1:
            crossed = (np.minimum(y0, y1) <= ys) & (ys < np.maximum(y0, y1))
            inside ^= crossed & (x0 + (ys - y0) * (x1 - x0) / (y1 - y0) <= xs)
    return inside


class TestRender:
    @settings(max_examples=40, deadline=None)
    @given(
        st.floats(60, 260),
        st.floats(60, 180),
        st.floats(10, 55),
        st.integers(3, 200),
        st.integers(0, 2**32 - 1),
    )
    def test_area_within_one_pixel_of_perimeter(self, cx, cy, radius, points, seed):
        """A polygon's pixel count is within one pixel per unit of perimeter of its shapely area."""
        ring = star(cx, cy, radius, points, seed)
        polygon = Polygon(ring)
        count = int((masks.render(WIDTH, HEIGHT, [[ring]]) == 255).sum())
        assert abs(count - polygon.area) <= polygon.length

    @settings(max_examples=25, deadline=None)
    @given(st.integers(0, 2**32 - 1))
    def test_pixel_centre_rule_is_exact(self, seed):
        """Every pixel is inside exactly when its centre is, for overlapping objects with holes."""
        rng = np.random.default_rng(seed)
        objects = []
        for _ in range(6):
            cx, cy, r = rng.uniform(40, 280), rng.uniform(40, 200), rng.uniform(15, 60)
            holed = rng.random() < 0.5
            # With at least 8 outline points the outline stays beyond 0.35 r, so the hole lies inside it.
            rings = [star(cx, cy, r, int(rng.integers(8 if holed else 3, 60)), int(rng.integers(2**32)))]
            if holed:
                rings.append(star(cx, cy, r * 0.3, int(rng.integers(3, 20)), int(rng.integers(2**32))))
            objects.append(rings)
        union = shapely.union_all([Polygon(rings[0], rings[1:]) for rings in objects])
        assert np.array_equal(masks.render(WIDTH, HEIGHT, objects) == 255, centres_inside(union))

    def test_integer_square_covers_its_pixels(self):
        """A square on pixel edges covers exactly the pixels inside it, no boundary pixels."""
        mask = masks.render(10, 10, [[[[2, 3], [6, 3], [6, 8], [2, 8]]]])
        assert (mask == 255).sum() == 20
        assert mask[3:8, 2:6].all() and not mask[2, 2] and not mask[3, 6]

    def test_centres_on_edges_follow_the_top_left_rule(self):
        """A centre on a top or left edge is inside, on a bottom or right edge outside (docs/decisions.md)."""
        square = [[1.5, 1.5], [3.5, 1.5], [3.5, 3.5], [1.5, 3.5]]
        expected = np.zeros((6, 6), dtype=bool)
        expected[1:3, 1:3] = True
        assert np.array_equal(masks.render(6, 6, [[square]]) == 255, expected)
        assert np.array_equal(masks.render(6, 6, [[square[::-1]]]) == 255, expected)

    def test_holes_are_cut(self):
        """A hole leaves its pixels at 0."""
        outline = [[20, 20], [200, 20], [200, 200], [20, 200]]
        hole = [[80, 80], [120, 80], [120, 120], [80, 120]]
        mask = masks.render(WIDTH, HEIGHT, [[outline, hole]])
        assert mask[100, 100] == 0 and mask[50, 50] == 255
        assert (mask == 255).sum() == 180 * 180 - 40 * 40

    def test_overlapping_objects_are_united(self):
        """Two overlapping objects of a class give their union, the overlap included."""
        a = [[10, 10], [110, 10], [110, 110], [10, 110]]
        b = [[60, 60], [160, 60], [160, 160], [60, 160]]
        mask = masks.render(WIDTH, HEIGHT, [[a], [b[::-1]]])
        assert mask[80, 80] == 255
        assert (mask == 255).sum() == 2 * 100 * 100 - 50 * 50

    def test_a_hole_cuts_only_its_own_object(self):
        """Another object covering a hole keeps the hole's pixels painted."""
        donut = [[[10, 10], [200, 10], [200, 200], [10, 200]], [[50, 50], [150, 50], [150, 150], [50, 150]]]
        patch = [[[90, 90], [110, 90], [110, 110], [90, 110]]]
        mask = masks.render(WIDTH, HEIGHT, [donut, patch])
        assert mask[100, 100] == 255 and mask[60, 60] == 0

    def test_overlapping_holes_and_self_intersections_are_exact(self):
        """Objects the running sum cannot describe (overlapping holes, a bow tie) are painted exactly."""
        outline = [[10, 10], [210, 10], [210, 210], [10, 210]]
        holes = [[[40, 40], [120, 40], [120, 120], [40, 120]], [[80, 80], [160, 80], [160, 160], [80, 160]]]
        # Off the pixel grid, so no pixel centre lies exactly on an edge.
        bow_tie = [[230, 20.3], [310, 100.3], [310, 20.3], [230, 100.3]]
        mask = masks.render(WIDTH, HEIGHT, [[outline, *holes], [bow_tie]])
        expected = centres_inside(Polygon(outline).difference(shapely.union_all([Polygon(h) for h in holes])))
        expected |= centres_inside(shapely.make_valid(Polygon(bow_tie)))
        assert np.array_equal(mask == 255, expected)

    def test_a_hole_leaving_its_outline_cuts_only_its_own_object(self):
        """A hole drawn partly outside its outline (within the outline's box, in an L's notch) does not
        cut another object that covers that part."""
        ell = [[10, 10], [100, 10], [100, 50], [50, 50], [50, 100], [10, 100]]
        hole = [[40.2, 40.2], [90.2, 40.2], [90.2, 90.2], [40.2, 90.2]]
        patch = [[60, 60], [95, 60], [95, 95], [60, 95]]
        mask = masks.render(WIDTH, HEIGHT, [[ell, hole], [patch]])
        assert mask[70, 70] == 255 and mask[45, 45] == 0 and mask[20, 20] == 255
        expected = centres_inside(Polygon(ell).difference(Polygon(hole)).union(Polygon(patch)))
        assert np.array_equal(mask == 255, expected)

    def test_a_ring_winding_twice_is_even_odd(self):
        """A pentagram's centre is wound twice: even-odd leaves it out, as a ring that crosses itself is read."""
        points = [[160 + 100 * np.sin(a), 120.3 - 100 * np.cos(a)] for a in np.arange(0, 4 * np.pi, 4 * np.pi / 5)]
        mask = masks.render(WIDTH, HEIGHT, [[points]])
        assert mask[120, 160] == 0 and mask[45, 160] == 255
        assert np.array_equal(mask == 255, even_odd(points))

    @settings(max_examples=30, deadline=None)
    @given(st.integers(0, 2**32 - 1))
    def test_tangled_objects_match_the_even_odd_reference(self, seed):
        """Random rings that cross themselves, holes that overlap or leave their outline: each object is its
        outline's even-odd interior minus its holes', and the mask is their union."""
        rng = np.random.default_rng(seed)
        objects, expected = [], np.zeros((HEIGHT, WIDTH), dtype=bool)
        for _ in range(5):
            cx, cy = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT)
            rings = [
                (rng.uniform(-60, 60, (int(rng.integers(3, 9)), 2)) * rng.uniform(0.3, 1) + (cx, cy)).tolist()
                for _ in range(int(rng.integers(1, 4)))
            ]
            objects.append(rings)
            inside = even_odd(rings[0])
            for hole in rings[1:]:
                inside &= ~even_odd(hole)
            expected |= inside
        assert np.array_equal(masks.render(WIDTH, HEIGHT, objects) == 255, expected)

    def test_no_segmentation_gives_an_all_zero_mask(self):
        """An image without objects of the class has an all-zero, image-sized mask."""
        mask = masks.render(1920, 1080, [])
        assert mask.shape == (1080, 1920) and mask.dtype == np.uint8 and not mask.any()

    def test_an_object_between_pixel_centres_paints_nothing(self):
        """A sliver that crosses no pixel-centre row has no crossings at all: an all-zero mask."""
        assert not masks.render(10, 10, [[[[1, 2.6], [8, 2.6], [8, 3.4], [1, 3.4]]]]).any()

    def test_a_run_may_end_at_the_right_edge(self):
        """A run reaching the last column ends there; the next row starts outside again."""
        mask = masks.render(4, 3, [[[[2, 0], [9, 0], [9, 1], [2, 1]]]])
        assert mask.tolist() == [[0, 0, 255, 255], [0, 0, 0, 0], [0, 0, 0, 0]]

    def test_objects_outside_the_image_are_clipped(self):
        """Coordinates beyond the image edge paint only the pixels inside the image."""
        mask = masks.render(10, 10, [[[[-5, -5], [5, -5], [5, 5], [-5, 5]]]])
        assert (mask == 255).sum() == 25


class TestPng:
    def test_png_is_single_channel_8_bit(self):
        """The PNG decodes to the same 0/255 single-channel array."""
        ring = [[20, 20], [200, 30], [150, 220]]
        data = masks.mask_png(WIDTH, HEIGHT, [[ring]])
        image = Image.open(io.BytesIO(data))
        assert image.mode == "L" and image.size == (WIDTH, HEIGHT)
        assert np.array_equal(np.array(image), masks.render(WIDTH, HEIGHT, [[ring]]))
