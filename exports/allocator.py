"""The C allocator's thresholds for the processes that render masks, bitmaps and run lengths.

glibc serves arrays above 128 kB by fresh mappings until its adaptive threshold has risen, and
hands freed memory at the top of its heap back to the kernel: the arrays of every mask then fault
their pages in anew, which cost a third of a mask's time. Raising both thresholds keeps that memory
in the process for the next mask (bench/masks_speed.py: 150 to 220 masks/s; a COCO file of
10,000 tasks in one process 4.2 to 3.5 s), and the peak memory, which the limits are about, stays
the same: what is kept is what the peak took already.
"""

import ctypes

# mallopt() parameters, from glibc's malloc.h.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# Arrays up to this size come from the heap (a 1080p bitmap's ids are 8 MB) ...
MMAP_THRESHOLD = 32 << 20
# ... and this much free memory at the heap's top is kept.
TRIM_THRESHOLD = 128 << 20


def keep_freed_memory():
    """Raise glibc's thresholds for this process (and the worker processes it forks).

    Returns False where the C library has no mallopt() (macOS, for one), which then keeps its own
    defaults.
    """
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
