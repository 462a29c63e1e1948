"""Few malloc arenas for the app process: memory a page run freed is reused by the next one.

Streamlit runs every session's script in a thread of its own. glibc gives threads malloc arenas of
their own, up to eight per core, and memory freed in one arena serves only the threads that use
it, so a busy process keeps a peak's worth of free memory in each. Measured at city scale with 50
sessions on 2 processes (docs/deployment.md, "Fifty sessions at once"): after three waves of
sessions glibc held 156-178 MiB free per process with its default, 55-103 MiB with two arenas.
The interpreter serialises the scripts anyway: page times did not change (p95 3.94 against
3.88 s on a machine with both cores busy).

Set once, at the start of the app process, before its sessions' threads exist. MALLOC_ARENA_MAX
in the environment wins (glibc read it at start); elsewhere than glibc nothing is done.
"""

from __future__ import annotations

import ctypes
import os

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def limit(arenas: int = ARENAS) -> bool:
    """Cap glibc's arenas at `arenas`; True when the cap is in force (set here or by the environment)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return True
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc.mallopt(_M_ARENA_MAX, arenas) == 1
    except (OSError, AttributeError):  # not glibc (musl, macOS): its allocator decides
        return False
