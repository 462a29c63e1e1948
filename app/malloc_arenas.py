"""Few malloc arenas for the app process: memory a page run freed is reused by the next one.

Streamlit runs every session's script in a thread of its own. glibc gives threads malloc arenas of
their own, up to eight per core, and memory freed in one arena serves only the threads that use
it, so a busy process keeps a peak's worth of free memory in each. Measured at city scale with 50
sessions on 2 processes (docs/deployment.md, "Fifty sessions at once"): after three waves of
sessions glibc held 156-178 MiB free per process with its default, 55-103 MiB with two arenas.
The interpreter serialises the scripts anyway: page times did not change (p95 3.94 against
3.88 s on a machine with both cores busy).

Blocks of 256 KiB and more are always given their own memory map, and returned to the system
when freed (`fixed_mmap_threshold`). glibc's default starts there too but raises the threshold to
the size of any mapped block freed, up to 32 MiB, so after a few large query results most large
blocks come from the heap, where the space they leave is kept. Measured the same way: glibc's free
but kept memory after two waves of 50 went from 42-54 to 21-25 MiB per process, and RSS at the end
from 502-506 to 474-475 MiB; warm page reruns side by side were not slower (bench/warm_reruns.py
--after-env MALLOC_MMAP_THRESHOLD_=262144: 0.8-1.3x by page, within the spread).

Set once, at the start of the app process, before its sessions' threads exist. MALLOC_ARENA_MAX
and MALLOC_MMAP_THRESHOLD_ in the environment win (glibc read them at start); elsewhere than glibc
nothing is done.
"""

from __future__ import annotations

import ctypes
import os

ARENAS = 2
MMAP_THRESHOLD = 256 * 1024
_M_ARENA_MAX = -8  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3


def limit(arenas: int = ARENAS) -> bool:
    """Cap glibc's arenas at `arenas`; True when the cap is in force (set here or by the environment)."""
    return _mallopt(_M_ARENA_MAX, arenas, "MALLOC_ARENA_MAX")


def fixed_mmap_threshold(size: int = MMAP_THRESHOLD) -> bool:
    """Give blocks of `size` bytes and more a map of their own, returned when freed, and stop
    glibc raising that threshold; True when a fixed threshold is in force (here or by the
    environment)."""
    return _mallopt(_M_MMAP_THRESHOLD, size, "MALLOC_MMAP_THRESHOLD_")


def _mallopt(parameter: int, value: int, environment: str) -> bool:
    """glibc's mallopt, unless the operator set the same in `environment` (glibc read it at start)."""
    if os.environ.get(environment):
        return True
    try:
        return ctypes.CDLL("libc.so.6").mallopt(parameter, value) == 1
    except (OSError, AttributeError):  # not glibc (musl, macOS): its allocator decides
        return False
