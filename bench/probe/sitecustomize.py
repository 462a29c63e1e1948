"""Where an app process's memory lives, sampled from inside it: for bench/load.py --probe.

Python imports `sitecustomize` at start-up from its path; bench/load.py --probe puts this folder on
the app processes' PYTHONPATH and names a folder in SYL_MEMORY_PROBE_DIR. Every
SYL_MEMORY_PROBE_SECONDS (default 10) a daemon thread appends one JSON line to <dir>/<pid>.jsonl:

- rss_anon, rss_file: the kernel's resident anonymous and file-backed memory (/proc/self/status);
- glibc_*: glibc malloc's own count (mallinfo2): `arena` is heap obtained with brk/sbrk and
  thread arenas, `mmap` the large blocks it mapped, `in_use` what is allocated, `free` what it
  holds unused;
- pymalloc_*: Python's small-object allocator: arenas held, their bytes, the bytes of live objects in
  them and the most arenas ever held (sys._debugmallocstats);
- duckdb: the analytical copy's buffer manager by tag (duckdb_memory()), when a copy is open;
- threads: the process's threads;
- cpu_seconds: the process's CPU time so far; gc_seconds, gc_full, gc_full_seconds, gc_max_pause:
  the CPU time the cyclic garbage collector took (all generations; the full collections, which
  walk every object, on their own) and its longest single pause (wall time; no script runs then);
- segmenter: 1 once the process has loaded the Chinese segmenter's dictionary (data_access/segment.py).

When a file named `census` appears in <dir>, each process also writes <dir>/<pid>.census.json:
the 60 most numerous object types, the sizes of the data layer's memos and who holds DataFrames,
Arrow string columns, small lists and the types that grew most since the previous census (some
seconds to a minute: it walks every object). bench/load.py --census asks before the first visitor
and after each wave.

Whatever RSS is left over is held by allocators glibc does not see: DuckDB's jemalloc, Arrow's
mimalloc, the memory maps of libraries. Bench only; nothing in the app imports it.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import re
import sys
import tempfile
import threading
import time


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                 "fordblks", "keepcost")]


def _glibc() -> dict:
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return {"glibc_arena": info.arena, "glibc_mmap": info.hblkhd, "glibc_in_use": info.uordblks,
            "glibc_free": info.fordblks}


def _status() -> dict:
    wanted = {"VmRSS": "rss", "RssAnon": "rss_anon", "RssFile": "rss_file", "Threads": "threads"}
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in wanted:
                number = int(value.split()[0])
                found[wanted[key]] = number if key == "Threads" else number * 1024
    return found


def _pymalloc() -> dict:
    """Arenas from sys._debugmallocstats, which writes to the C stderr: caught in a temporary file."""
    with tempfile.TemporaryFile() as caught:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(caught.fileno(), 2)
            sys._debugmallocstats()  # noqa: SLF001 - CPython's own report of its allocator
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        caught.seek(0)
        text = caught.read().decode("ascii", "replace")
    found = {}
    for label, key in (("# arenas allocated current", "pymalloc_arenas"), ("Total", "pymalloc_bytes"),
                       ("# bytes in allocated blocks", "pymalloc_live"), ("# arenas highwater mark", "pymalloc_peak")):
        match = re.search(re.escape(label) + r"\s*=\s*([\d,]+)", text)
        if match:
            found[key] = int(match.group(1).replace(",", ""))
    return found


_gc = {"gc_seconds": 0.0, "gc_full": 0, "gc_full_seconds": 0.0, "gc_max_pause": 0.0}
_gc_started = [0.0, 0.0]


def _on_collection(phase: str, info: dict) -> None:
    """gc.callbacks: called with the GIL held, around every collection of every thread. The
    seconds are the collecting thread's CPU time (a finaliser that lets another thread run does not
    count); the pause is wall time."""
    if phase == "start":
        _gc_started[:] = [time.thread_time(), time.perf_counter()]
        return
    took = time.thread_time() - _gc_started[0]
    _gc["gc_seconds"] += took
    _gc["gc_max_pause"] = max(_gc["gc_max_pause"], time.perf_counter() - _gc_started[1])
    if info.get("generation") == 2:
        _gc["gc_full"] += 1
        _gc["gc_full_seconds"] += took


def _collector() -> dict:
    times = os.times()
    return {**_gc, "cpu_seconds": times.user + times.system}


def _segmenter() -> dict:
    """1 once this process has loaded the Chinese segmenter's dictionary (about 60 MiB), else 0."""
    return {"segmenter": int(getattr(sys.modules.get("data_access.segment"), "_tokenizer", None) is not None)}


_copy = None
_copy_sought_at = 0.0
SEEK_EVERY_S = 60.0  # a process without a copy (a small street) is not walked at every sample


def _duckdb() -> dict:
    global _copy, _copy_sought_at  # noqa: PLW0603 - found once, then reused
    if _copy is None and time.monotonic() - _copy_sought_at > SEEK_EVERY_S:
        _copy_sought_at = time.monotonic()
        _copy = next((thing for thing in gc.get_objects() if type(thing).__name__ == "AnalyticalCopy"), None)
    snapshot = getattr(_copy, "snapshot", None)
    if snapshot is None:
        return {}
    cursor = snapshot.connection.cursor()
    try:
        rows = cursor.execute("SELECT tag, memory_usage_bytes FROM duckdb_memory() "
                              "WHERE memory_usage_bytes > 0").fetchall()
    finally:
        cursor.close()
    return {"duckdb": {tag: size for tag, size in rows}}


def _sample(folder: str, seconds: float) -> None:
    path = os.path.join(folder, f"{os.getpid()}.jsonl")
    while True:
        time.sleep(seconds)
        row = {"t": time.time(), "argv": " ".join(sys.argv[:3])[:120]}
        for part in (_status, _glibc, _pymalloc, _duckdb, _collector, _segmenter):
            try:
                row.update(part())
            except Exception as exc:  # noqa: BLE001 - a probe that fails says so and goes on
                row[part.__name__ + "_error"] = repr(exc)[:200]
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")
        asked = os.path.join(folder, "census")
        if os.path.exists(asked) and not os.path.exists(os.path.join(folder, f"{os.getpid()}.census.json")):
            try:
                _census(folder)
            except Exception as exc:  # noqa: BLE001 - said in the census file instead
                _write_census(folder, {"error": repr(exc)[:500]})


def _write_census(folder: str, found: dict) -> None:
    """<dir>/<pid>.census.json, whole or not at all: bench/load.py reads it as soon as it appears."""
    path = os.path.join(folder, f"{os.getpid()}.census.json")
    with open(path + ".part", "w", encoding="utf-8") as out:
        json.dump(found, out)
    os.replace(path + ".part", path)


def _census(folder: str) -> None:
    """When asked (a `census` file): the most numerous object types and the sizes of the app's own caches, to
    <dir>/<pid>.census.json (bench only: walks every object, a second or so)."""
    import collections

    global _previous_counts  # noqa: PLW0603 - what the last census counted, to follow what grew
    counts = collections.Counter(type(thing).__name__ for thing in gc.get_objects())
    grown = [kind for kind, _ in (counts - _previous_counts).most_common(6)] if _previous_counts else []
    _previous_counts = counts
    caches = {}
    for module_name, name in (("data_access.duckdb_sql", "_SQL_BY_SHAPE_AND_VALUES"),
                              ("data_access.analytical", "_COVERS_BY_SHAPE")):
        value = getattr(sys.modules.get(module_name), name, None)
        if value is not None:
            caches[f"{module_name}.{name}"] = len(value)
    owners = {kind: _owners(kind) for kind in dict.fromkeys(["ArrowStringArray", "DataFrame", "list", *grown])}
    _write_census(folder, {"types": counts.most_common(60), "caches": caches, "owners": owners,
                           "page_namespaces": _page_namespaces(), "allocations": _allocations()})


_previous_trace = None


def _allocations(top: int = 25) -> list:
    """With SYL_MEMORY_PROBE_TRACE=<frames> in the app's environment (bench/load.py --env): the first
    census starts tracemalloc, and each later one says where the memory that grew since the one
    before was allocated, the `top` biggest growths as [bytes, blocks, frames (innermost last)].
    It sees every Python allocation, strings included, which the census by type cannot; it slows
    the process and adds memory of its own, so a run with it says where, not how much."""
    import tracemalloc

    global _previous_trace  # noqa: PLW0603 - the last snapshot, to compare the next with
    if not tracemalloc.is_tracing():
        frames = int(os.environ.get("SYL_MEMORY_PROBE_TRACE", "0") or 0)
        if frames > 0:
            tracemalloc.start(frames)  # from now on: what the sessions to come allocate
        return []
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)])
    previous, _previous_trace = _previous_trace, snapshot
    if previous is None:  # everything traced was allocated since tracing started
        grown = [(stat.size, stat.count, stat.traceback) for stat in snapshot.statistics("traceback")]
    else:
        grown = [(stat.size_diff, stat.count_diff, stat.traceback)
                 for stat in snapshot.compare_to(previous, "traceback") if stat.size_diff > 0]
    return [[size, blocks, [f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}" for frame in where]]
            for size, blocks, where in grown[:top]]


def _page_namespaces() -> dict:
    """The global namespaces of page scripts still alive (a page's run is over, but its widgets'
    format functions hold its globals) and what their data values weigh, by page file."""
    import collections

    found: dict = collections.defaultdict(lambda: {"alive": 0, "bytes": 0})
    for thing in gc.get_objects():
        if type(thing) is not dict or "/pages/" not in str(thing.get("__file__", "")):
            continue
        entry = found[os.path.basename(str(thing["__file__"]))]
        entry["alive"] += 1
        for value in list(thing.values()):
            try:
                if hasattr(value, "memory_usage") and hasattr(value, "columns"):
                    entry["bytes"] += int(value.memory_usage(deep=True).sum())
                elif hasattr(value, "to_json") and type(value).__module__.split(".")[0] in ("plotly", "pydeck"):
                    entry["bytes"] += len(value.to_json())
            except Exception:  # noqa: BLE001 - an estimate
                continue
    return dict(found)


_previous_counts: dict = {}


def _describe(thing: object) -> str:
    kind = type(thing).__name__
    if issubclass(type(thing), dict):  # not isinstance: it asks the object, and some (SQL labels) raise
        keys = [_short(key) for key in list(thing)[:4]]
        return f"dict{keys}"
    if kind in ("function", "cell", "module", "frame"):
        try:
            return f"{kind}:{getattr(thing, '__qualname__', None) or getattr(thing, '__name__', '')}"
        except Exception:  # noqa: BLE001 - a description, never a failed census
            return kind
    return kind


def _short(key: object) -> str:
    """A key as text, at most 40 characters; its type where it cannot say (a SQL label compiles
    itself to text, and some raise while doing so)."""
    try:
        return str(key)[:40]
    except Exception:  # noqa: BLE001 - a description, never a failed census
        return type(key).__name__


def _first_holders(targets: list, skip: list) -> dict[int, object]:
    """id of each target -> one container that refers to it: a single pass over every object."""
    wanted = {id(thing) for thing in targets if thing is not None}
    skipped = {id(thing) for thing in skip} | {id(targets)}
    found: dict[int, object] = {}
    for holder in gc.get_objects():
        if id(holder) in skipped or type(holder).__name__ == "frame":
            continue
        for referent in gc.get_referents(holder):
            if id(referent) in wanted and id(referent) not in found:
                found[id(referent)] = holder
    return found


def _owners(kind: str, sample: int = 100, depth: int = 4) -> list:
    """Who holds objects of `kind`: for a sample of them, the chain of first holders (by type),
    counted. One pass over every object per step of the chain."""
    import collections
    import random

    everything = gc.get_objects()
    found = [thing for thing in everything if type(thing).__name__ == kind]
    del everything
    if kind == "list":  # the many small ones: coordinate pairs and the like
        found = [thing for thing in found if len(thing) <= 4]
    picked = random.sample(found, min(sample, len(found)))
    chains = [[] for _ in picked]
    current = list(picked)
    holders: dict[int, object] = {}
    for _ in range(depth):
        holders = _first_holders(current, [found, picked, chains, current, holders])
        current = [None if thing is None else holders.get(id(thing)) for thing in current]
        for chain, holder in zip(chains, current, strict=True):
            if holder is not None:
                chain.append(_describe(holder))
        if all(thing is None for thing in current):
            break
    counted = collections.Counter(" <- ".join(part for part in chain if part) for chain in chains)
    return [(chain, count) for chain, count in counted.most_common(8)] + [("(all of this kind)", len(found))]


if os.environ.get("SYL_MEMORY_PROBE_DIR") and "app/server.py" in sys.argv:  # the app, not its children
    gc.callbacks.append(_on_collection)
    threading.Thread(
        target=_sample, name="memory-probe", daemon=True,
        args=(os.environ["SYL_MEMORY_PROBE_DIR"], float(os.environ.get("SYL_MEMORY_PROBE_SECONDS", "10"))),
    ).start()
