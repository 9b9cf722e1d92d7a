"""Memory of adding one large image in the web process: projects.media.add_image, as an upload runs it.

Writes an image of N megapixels in one colour: a PNG of a few hundred KB that decodes to hundreds
of MB, like the 0.39 MB, 100-megapixel upload in docs/benchmarks.md, or a baseline or progressive
JPEG (made in a child process, so making it does not count). Then adds it to a new dataset inside a
transaction that is rolled back: nothing is kept and the worker's thumbnail job is never sent, so
only the request's own work is measured. Pillow allocates pixels outside Python's allocator, which
tracemalloc does not see, so the measure is the process's peak RSS (ru_maxrss) before and after.
Prints one line of JSON. Run against a migrated database, e.g.:

    LABELYARD_DATA_DIR=/tmp/bench .venv/bin/python manage.py migrate
    LABELYARD_DATA_DIR=/tmp/bench .venv/bin/python bench/upload_memory.py 100 [png|jpeg|progressive-jpeg]
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelyard.settings")

import django  # noqa: E402 - the path and settings above come first

django.setup()

from django.db import transaction  # noqa: E402

from formats import jsonio  # noqa: E402
from projects.media import add_image  # noqa: E402
from projects.models import Dataset  # noqa: E402


def write_png(path, width, height, rgb=(40, 120, 200)):
    """A one-colour RGB PNG, compressed row by row so writing it needs no image in memory."""

    def chunk(kind, data):
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    row = b"\x00" + bytes(rgb) * width
    compressor = zlib.compressobj(9)
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(chunk(b"IHDR", width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])))
        for _ in range(height):
            data = compressor.compress(row)
            if data:
                out.write(chunk(b"IDAT", data))
        out.write(chunk(b"IDAT", compressor.flush()))
        out.write(chunk(b"IEND", b""))


def write_jpeg(path, width, height, progressive=False):
    """A one-colour JPEG, written by a child process: the image it encodes never enters this one."""
    code = (
        "import sys; from PIL import Image; "
        f"Image.new('RGB', ({width}, {height}), (40, 120, 200)).save(sys.argv[1], quality=90, "
        f"progressive={progressive})"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def measure(megapixels, kind="png"):
    side = int((megapixels * 1_000_000) ** 0.5)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("big.png" if kind == "png" else "big.jpg")
        if kind == "png":
            write_png(path, side, side)
        else:
            write_jpeg(path, side, side, progressive=kind == "progressive-jpeg")
        before = peak_rss_mb()
        started = time.perf_counter()
        with path.open("rb") as handle, transaction.atomic():
            dataset = Dataset.objects.create(name=f"bench {os.getpid()}")
            media = add_image(dataset, handle, path.name)
            media.file.delete(save=False)
            transaction.set_rollback(True)
        seconds = time.perf_counter() - started
        after = peak_rss_mb()
        return {
            "kind": kind,
            "pixels": side * side,
            "file_bytes": path.stat().st_size,
            "peak_rss_before_mb": round(before),
            "peak_rss_after_mb": round(after),
            "growth_mb": round(after - before),
            "seconds": round(seconds, 2),
        }


if __name__ == "__main__":
    megapixels = float(sys.argv[1]) if len(sys.argv) > 1 else 100
    print(jsonio.dumps_text(measure(megapixels, sys.argv[2] if len(sys.argv) > 2 else "png")))
