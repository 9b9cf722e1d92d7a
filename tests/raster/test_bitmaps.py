"""Instance bitmaps and COCO run lengths (raster/masks.py) against render() and shapely's pixel centres."""

import io

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pycocotools import mask as coco_mask
from shapely.geometry import Polygon

from raster import masks
from tests.raster.test_masks import centres_inside, star

WIDTH, HEIGHT = 320, 240


def random_objects(seed, count=6):
    rng = np.random.default_rng(seed)
    objects = []
    for _ in range(count):
        cx, cy, r = rng.uniform(-20, 340), rng.uniform(-20, 260), rng.uniform(5, 70)
        rings = [star(cx, cy, r, int(rng.integers(8, 40)), int(rng.integers(2**32)))]
        if rng.random() < 0.5:
            rings.append(star(cx, cy, r * 0.3, int(rng.integers(3, 12)), int(rng.integers(2**32))))
        objects.append(rings)
    objects.append([[[10, 10], [100, 100], [100, 10], [10, 100]]])  # self-intersecting: the exact path
    # Exact-path objects across an edge and across the whole image, whose runs reach the end of a row
    # (or column) and go on at the start of the next.
    objects.append([[[250, 150], [330, 230], [330, 150], [250, 230]]])
    objects.append([[[-5, 200], [325, 245], [325, 200], [-5, 245]]])
    return objects


def grid_objects(seed, step, count=4, size=12):
    """Tangled objects with vertices on a grid of `step` pixels: on a half-pixel grid many pixel centres lie
    exactly on edges, on a 0.1 grid many lie within rounding of them."""
    rng = np.random.default_rng(seed)
    objects = []
    for _ in range(count):
        rings = []
        for _ in range(int(rng.integers(1, 4))):
            points = rng.integers(-2, int(size / step) + 2, (int(rng.integers(3, 8)), 2)) * step
            rings.append(points.tolist())
        objects.append(rings)
    return objects


def decoded(width, height, positions):
    counts = np.diff(positions[positions < width * height], prepend=0, append=width * height)
    rle = coco_mask.frPyObjects([{"size": [height, width], "counts": counts}], height, width)
    return coco_mask.decode(rle)[:, :, 0].astype(bool)


class TestInstanceIds:
    @settings(max_examples=20, deadline=None)
    @given(st.integers(0, 2**32 - 1))
    def test_later_objects_on_top_by_pixel_centre(self, seed):
        """Each pixel holds the id of the last object whose shape contains its centre, else 0."""
        objects = random_objects(seed)
        ids = masks.instance_ids(WIDTH, HEIGHT, objects)
        expected = np.zeros((HEIGHT, WIDTH), dtype=np.uint32)
        for number, rings in enumerate(objects, start=1):
            expected[masks.render(WIDTH, HEIGHT, [rings]) > 0] = number
        assert np.array_equal(ids, expected)

    def test_memory_stays_within_one_object(self):
        """Forty overlapping full-image objects: the last is on top, and the painting never holds more
        than about one object's pixels (40 of them expanded at once would be 660 MB)."""
        import tracemalloc

        whole = [[[-1, -1], [1921, -1], [1921, 1081], [-1, 1081]]]
        notched = [[[-1, -1], [1921, -1], [1921, 1081], [-1, 1081]], [[100, 100], [103, 100], [103, 900]]]
        tracemalloc.start()
        try:
            ids = masks.instance_ids(1920, 1080, [whole] * 39 + [notched])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 60e6, peak
        assert (ids == 40).sum() == 1920 * 1080 - (masks.render(1920, 1080, [notched[1:]]) > 0).sum()
        assert set(np.unique(ids)) == {39, 40}

    @settings(max_examples=60, deadline=None)
    @given(st.integers(0, 2**32 - 1), st.sampled_from([0.5, 0.1]))
    def test_centres_on_edges_as_render_decides_them(self, seed, step):
        """Where centres lie on or within rounding of edges, each object's pixels are render()'s, also for
        objects painted exactly (which once moved the rings to their box and rounded differently)."""
        objects = grid_objects(seed, step)
        ids = masks.instance_ids(12, 10, objects)
        expected = np.zeros((10, 12), dtype=np.uint32)
        for number, rings in enumerate(objects, start=1):
            expected[masks.render(12, 10, [rings]) > 0] = number
        assert np.array_equal(ids, expected)

    def test_png_encoding(self):
        """The PNG is RGBA with id = R + 256 G + 65536 B and alpha 255."""
        ids = np.zeros((4, 5), dtype=np.uint32)
        ids[0, 0], ids[1, 1], ids[2, 2] = 1, 300, 70000
        rgba = np.asarray(Image.open(io.BytesIO(masks.instance_png(ids))))
        assert rgba.shape == (4, 5, 4) and (rgba[..., 3] == 255).all()
        assert tuple(rgba[1, 1]) == (44, 1, 0, 255) and tuple(rgba[2, 2]) == (112, 17, 1, 255)

    def test_square_is_exact(self):
        """A rectangle covers exactly the pixels whose centres it contains."""
        ids = masks.instance_ids(WIDTH, HEIGHT, [masks.area_rings("rectangle", [10.2, 20, 30, 40.7])])
        assert np.array_equal(ids > 0, centres_inside(Polygon([(10.2, 20), (40.2, 20), (40.2, 60.7), (10.2, 60.7)])))


class TestRleRuns:
    @settings(max_examples=60, deadline=None)
    @given(st.integers(0, 2**32 - 1), st.sampled_from([0.5, 0.1]))
    def test_runs_keep_render_where_centres_lie_on_edges(self, seed, step):
        """On a half-pixel grid (centres on slanted edges) and a 0.1 grid, the COCO runs decode to render()'s
        mask: scanning the columns instead would decide a centre on a slanted edge the other way."""
        objects = grid_objects(seed, step)
        for rings, positions in zip(objects, masks.rle_runs([(12, 10, rings) for rings in objects]), strict=True):
            assert np.array_equal(decoded(12, 10, positions), masks.render(12, 10, [rings]) > 0)

    def test_a_slanted_edge_through_centres(self):
        """A triangle whose hypotenuse runs through pixel centres: the COCO mask is render()'s, centre for centre."""
        triangle = [[0, 0], [4, 4], [0, 4]]
        positions = masks.rle_runs([(4, 4, [triangle])])[0]
        assert np.array_equal(decoded(4, 4, positions), masks.render(4, 4, [[triangle]]) > 0)

    @settings(max_examples=20, deadline=None)
    @given(st.integers(0, 2**32 - 1))
    def test_runs_decode_to_render(self, seed):
        """pycocotools decodes the run lengths of every object to exactly render()'s mask, across image sizes."""
        objects = random_objects(seed)
        items = [(WIDTH if i % 2 else 200, HEIGHT if i % 2 else 100, rings) for i, rings in enumerate(objects)]
        for (width, height, rings), positions in zip(items, masks.rle_runs(items), strict=True):
            assert np.array_equal(decoded(width, height, positions), masks.render(width, height, [rings]) > 0)

    def test_many_objects_on_large_images(self):
        """Thousands of objects on 1080p images (sort keys beyond 32 bits) get the runs each gets alone."""
        objects = random_objects(7)
        items = [(1920, 1080, objects[i % len(objects)]) for i in range(2500)]
        alone = [masks.rle_runs([(1920, 1080, rings)])[0] for rings in objects]
        for index, positions in enumerate(masks.rle_runs(items)):
            assert np.array_equal(positions, alone[index % len(objects)])
