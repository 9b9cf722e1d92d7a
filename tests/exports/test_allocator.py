"""The C allocator's thresholds (exports/allocator.py): set where the C library is glibc, left alone elsewhere."""

import platform

from exports import allocator


def test_glibc_accepts_the_thresholds():
    """mallopt() accepts both thresholds on glibc; on another C library nothing is attempted."""
    assert allocator.keep_freed_memory() == (platform.libc_ver()[0] == "glibc")
