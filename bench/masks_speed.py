"""Benchmark: segmentation masks per second, 1920x1080, 50 polygons of 20-200 vertices (some with holes).

    .venv/bin/python bench/masks_speed.py [MASKS]

Renders MASKS masks (default 240) including PNG encoding in one process, then split over two
processes (what two Celery worker processes do with mask chunks), and prints masks per second. The
C allocator keeps freed memory as in Labelyard's own processes (exports/allocator.py).
"""

import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exports import allocator  # noqa: E402
from raster import masks  # noqa: E402

WIDTH, HEIGHT, POLYGONS = 1920, 1080, 50


def ring(rng, cx, cy, radius, points):
    step = 2 * np.pi / points
    angles = np.arange(points) * step + rng.uniform(0, 0.9 * step, points)
    radii = radius * rng.uniform(0.6, 1.0, points)
    return np.c_[cx + radii * np.cos(angles), cy + radii * np.sin(angles)].round(1).tolist()


def image_objects(seed):
    rng = np.random.default_rng(seed)
    objects = []
    for k in range(POLYGONS):
        cx, cy, radius = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT), rng.uniform(20, 150)
        rings = [ring(rng, cx, cy, radius, int(rng.integers(20, 201)))]
        if k % 5 == 0:
            rings.append(ring(rng, cx, cy, radius * 0.3, int(rng.integers(20, 60))))
        objects.append(rings)
    return objects


def render_all(seeds):
    # Each image's objects are built untimed just before it is rendered: a mask task holds one chunk
    # of parsed documents, not hundreds (a large held heap makes the garbage collector dominate).
    elapsed = size = 0
    for seed in seeds:
        objects = image_objects(seed)
        started = time.perf_counter()
        size += len(masks.mask_png(WIDTH, HEIGHT, objects))
        elapsed += time.perf_counter() - started
    return elapsed, size


def main(count):
    # As in every Django process of Labelyard (exports/apps.py); the pool's processes inherit it.
    allocator.keep_freed_memory()
    seeds = list(range(count))
    # Untimed first masks: the allocator's first requests for image-sized arrays fault their pages in.
    render_all(seeds[:10])
    elapsed, size = render_all(seeds)
    per_mask = elapsed * 1000 / count
    print(f"1 process:   {count / elapsed:6.1f} masks/s ({per_mask:.1f} ms/mask, {size / count / 1000:.0f} kB/mask)")
    with Pool(2) as pool:
        results = pool.map(render_all, [seeds[: count // 2], seeds[count // 2 :]])
    # Both processes render at once; the slower one sets the wall time.
    wall = max(elapsed for elapsed, _ in results)
    print(f"2 processes: {count / wall:6.1f} masks/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 240)
