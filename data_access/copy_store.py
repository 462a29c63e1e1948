"""Where the analytical copies of one read database live on disk, shared by every app process.

Without it each process built its own copy after its first visitor arrived, and
served the slow row store for the half-minute that took; after a restart, again.
Now a folder per read database holds:

- ``copy-<id>.duckdb``: built copies. Only the one the manifest names is current.
- ``current.json``: the manifest: which file, the source's watermark it was
  built at, rows per table, the layout (tables and columns) it holds. Written
  whole to a temporary name and renamed over the old one, so a reader never
  sees half of it.
- ``build.lock``: held (``flock``) by the one process that builds. Another
  process that wants a copy waits on the lock, then finds the copy the first
  one published, and opens it instead of building its own. A process that
  dies while building releases the lock with its file descriptor.

A restarted process opens the current copy at once and checks its watermark in
the background. Files no manifest names any more are removed by the next
builder, under the lock; a process still reading one keeps its open file.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from data_access.engine import PROJECT_ROOT, redact

log = logging.getLogger(__name__)

MANIFEST = "current.json"
LOCK = "build.lock"
DEFAULT_COPY_DIR = PROJECT_ROOT / "data" / "analytical"
COPY_DIR_ENV = "SYL_ANALYTICAL_COPY_DIR"
LAYOUT_VERSION = 1  # raise when a copy's tables change in a way the layout list does not show


@dataclass(frozen=True)
class Manifest:
    file: str
    watermark: tuple
    rows: dict[str, int]
    layout: tuple[str, ...]  # "table.column" for every column the copy holds, with LAYOUT_VERSION
    load_seconds: float
    built_at: float = field(default_factory=time.time)
    marks: dict[str, list] = field(default_factory=dict)  # per table [rows, highest key], for refreshes
    full_build_at: float = field(default_factory=time.time)  # when last built afresh, not refreshed


def new_copy_path(folder: Path) -> Path:
    """A fresh name for a copy in `folder` (what remove_unused recognises as a copy)."""
    return folder / f"copy-{uuid.uuid4().hex}.duckdb"


def folder_for(root: Path, url: str) -> Path:
    """The folder of one read database's copies: named by a hash of its URL without the password."""
    digest = hashlib.sha256(redact(url).encode("utf-8")).hexdigest()[:16]
    return root / digest


class CopyStore:
    def __init__(self, folder: Path) -> None:
        """The folder is made readable by this user only: a copy holds special-population membership
        by resident id and building."""
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        if folder.stat().st_mode & 0o077:  # this database's own folder; the root may be shared (/var/lib)
            folder.chmod(0o700)

    def current(self) -> Manifest | None:
        """The published copy, or None: none yet, or a manifest that cannot be read (then the next
        build replaces it)."""
        try:
            data = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
            manifest = Manifest(
                file=str(data["file"]),
                watermark=tuple(data["watermark"]),
                rows={str(k): int(v) for k, v in data["rows"].items()},
                layout=tuple(data["layout"]),
                load_seconds=float(data["load_seconds"]),
                built_at=float(data["built_at"]),
                marks={str(k): list(v) for k, v in data.get("marks", {}).items()},
                full_build_at=float(data.get("full_build_at", data["built_at"])),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            log.warning("the analytical copy's manifest in %s cannot be read; the next build replaces it", self.folder)
            return None
        if Path(manifest.file).name != manifest.file or not (self.folder / manifest.file).exists():
            return None  # a name outside the folder, or a file removed by hand
        return manifest

    def path_of(self, manifest: Manifest) -> Path:
        return self.folder / manifest.file

    def new_path(self) -> Path:
        return new_copy_path(self.folder)

    def publish(self, manifest: Manifest) -> None:
        """Make `manifest` the current one, atomically."""
        temporary = self.folder / f".{MANIFEST}.{uuid.uuid4().hex}"
        temporary.write_text(json.dumps(asdict(manifest)), encoding="utf-8")
        os.replace(temporary, self.folder / MANIFEST)

    @contextmanager
    def build_lock(self) -> Iterator[None]:
        """Held by one builder at a time, across processes; waits for the one building now."""
        with open(self.folder / LOCK, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def remove_unused(self) -> None:
        """Remove the copies the manifest no longer names, and half-built ones. Call under the lock."""
        current = self.current()
        keep = {current.file, current.file + ".wal"} if current else set()
        for path in self.folder.glob("copy-*"):
            if path.name not in keep:
                path.unlink(missing_ok=True)
        for path in self.folder.glob(f".{MANIFEST}.*"):
            path.unlink(missing_ok=True)
