"""The app process caps glibc's malloc arenas (app/malloc_arenas.py), so many session threads share
few arenas; each case runs in a fresh interpreter, as an app process starts."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Eight threads alive at once, each allocating outside Python's small-object allocator, then
# glibc's own report (malloc_info) of its heaps: one <heap nr=...> per arena in use.
THREADS_THEN_COUNT = textwrap.dedent("""
    import ctypes, os, sys, tempfile, threading
    sys.path.insert(0, {root!r})
    from app import malloc_arenas
    print("limited", malloc_arenas.limit() if {cap} else None)
    ready = threading.Barrier(9)
    held = []
    def work():
        held.append([bytearray(4096) for _ in range(200)])
        ready.wait()
        ready.wait()
    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    ready.wait()
    libc = ctypes.CDLL("libc.so.6")
    libc.fdopen.restype = ctypes.c_void_p
    with tempfile.TemporaryFile() as out:
        stream = libc.fdopen(os.dup(out.fileno()), b"w")
        libc.malloc_info(0, ctypes.c_void_p(stream))
        libc.fclose(ctypes.c_void_p(stream))
        out.seek(0)
        print("heaps", out.read().decode().count("<heap nr="))
    ready.wait()
    for thread in threads:
        thread.join()
""")

glibc_only = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
    reason="malloc arenas are glibc's (Linux with glibc only)",
)


def _heaps(cap: bool, env: dict[str, str] | None = None) -> tuple[str, int]:
    environment = {key: value for key, value in os.environ.items() if key != "MALLOC_ARENA_MAX"} | (env or {})
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", THREADS_THEN_COUNT.format(root=str(ROOT), cap=cap)],
        capture_output=True, text=True, timeout=60, env=environment, check=True,
    )
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    return lines["limited"], int(lines["heaps"])


@glibc_only
def test_threads_share_two_arenas_once_capped() -> None:
    limited, heaps = _heaps(cap=True)
    assert limited == "True"
    assert heaps <= 2


@glibc_only
def test_without_the_cap_threads_take_arenas_of_their_own() -> None:
    """The control: the same threads in a process that was not capped spread over more arenas."""
    limited, heaps = _heaps(cap=False)
    assert limited == "None"
    assert heaps > 2


@glibc_only
def test_an_operators_malloc_arena_max_is_left_as_it_is() -> None:
    limited, heaps = _heaps(cap=True, env={"MALLOC_ARENA_MAX": "1"})
    assert limited == "True"
    assert heaps == 1


def test_the_served_app_caps_the_arenas_before_its_sessions_start() -> None:
    server = (ROOT / "app" / "server.py").read_text(encoding="utf-8")
    assert "malloc_arenas.limit()" in server
    assert server.index("malloc_arenas.limit()") < server.index("st.App(")


# A mapped 1 MiB block freed, then a 300 KiB one: glibc's default has raised its threshold to 1 MiB
# by then and takes the 300 KiB from the heap; with the threshold fixed it is mapped (and unmapped
# when freed). mallinfo2's hblkhd is the bytes in mapped blocks.
FREE_BIG_THEN_MEDIUM = textwrap.dedent("""
    import ctypes, sys
    sys.path.insert(0, {root!r})
    from app import malloc_arenas
    print("fixed", malloc_arenas.fixed_mmap_threshold() if {fix} else None)
    class Info(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                    "fsmblks", "uordblks", "fordblks", "keepcost")]
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = Info
    libc.malloc.restype = ctypes.c_void_p
    libc.free(ctypes.c_void_p(libc.malloc(1 << 20)))
    before = libc.mallinfo2().hblkhd
    medium = libc.malloc(300 * 1024)
    print("mapped", libc.mallinfo2().hblkhd - before >= 300 * 1024)
    libc.free(ctypes.c_void_p(medium))
    print("returned", libc.mallinfo2().hblkhd == before)
""")


def _medium_block(fix: bool, env: dict[str, str] | None = None) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")} | (env or {})
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", FREE_BIG_THEN_MEDIUM.format(root=str(ROOT), fix=fix)],
        capture_output=True, text=True, timeout=60, env=environment, check=True,
    )
    return dict(line.split(" ", 1) for line in done.stdout.splitlines())


@glibc_only
def test_with_the_threshold_fixed_a_large_block_is_mapped_and_given_back() -> None:
    assert _medium_block(fix=True) == {"fixed": "True", "mapped": "True", "returned": "True"}


@glibc_only
def test_without_it_glibc_raises_the_threshold_and_keeps_the_block_on_its_heap() -> None:
    """The control: glibc's default, after one large block was freed."""
    assert _medium_block(fix=False) == {"fixed": "None", "mapped": "False", "returned": "True"}


@glibc_only
def test_an_operators_mmap_threshold_is_left_as_it_is() -> None:
    found = _medium_block(fix=True, env={"MALLOC_MMAP_THRESHOLD_": str(4 << 20)})
    assert found == {"fixed": "True", "mapped": "False", "returned": "True"}  # theirs: 4 MiB


def test_the_served_app_fixes_the_threshold_before_its_sessions_start() -> None:
    server = (ROOT / "app" / "server.py").read_text(encoding="utf-8")
    assert server.index("malloc_arenas.fixed_mmap_threshold()") < server.index("st.App(")
