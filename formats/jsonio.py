"""The one place JSON is encoded and decoded (orjson underneath), so speed and rules stay uniform."""

import contextlib
import gc

import orjson

JSONDecodeError = orjson.JSONDecodeError


def dumps(value, *, indent=False):
    """Return `value` as UTF-8 JSON bytes; `indent` pretty-prints with two spaces."""
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(value, option=option | orjson.OPT_NON_STR_KEYS)


def dumps_text(value, *, indent=False):
    """Return `value` as a JSON string."""
    return dumps(value, indent=indent).decode()


def loads(data):
    """Parse JSON from bytes or str; raises JSONDecodeError (a ValueError) on bad input."""
    return orjson.loads(data)


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector around bulk JSON work.

    Parsed JSON holds no reference cycles, so reference counting frees it; the collector would
    only rescan the growing heap again and again (it tripled COCO writing time, docs/benchmarks.md).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
