"""The themes of many texts at once, remembered on disk so a restart does not segment them again.

Finding a text's themes means segmenting it (segment.py, pure Python): a city's 40,000 newest
reports and questions take about four seconds. A text's themes depend only on the text and on
what the segmenter knows (the lexicon files, the database's place names, jieba's version), so
they are remembered under a digest of both:

- in memory, per process (a dict of digests, not of texts: 200,000 entries stay near 20 MB);
- on disk, in ``text-themes.sqlite`` in the analytical copy's folder (copy_store.py), which every
  app process of this read database shares and which outlives restarts. It is the app's own
  file, never the read database. The first visitor after a restart reads the themes of texts any
  process has seen before in a few tens of milliseconds and segments only the new ones.

A cache that cannot be read or written (a full disk, a damaged file, a folder that vanished)
costs speed, never a page: the themes are then found again and the file is recreated.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jieba

from data_access import segment
from data_access.themes import themes, themes_of

log = logging.getLogger(__name__)

FILE_NAME = "text-themes.sqlite"
MEMORY_ENTRIES = 300_000  # digests kept per process before the memory layer starts again
CHUNK = 5_000  # digests per SELECT
_DIGEST_BYTES = 16
_FOLDER_KEY = "_syl_text_themes_folder"

_registry_lock = threading.Lock()
_registry: dict[Path | None, TextThemes] = {}


def for_engine(engine: Any) -> TextThemes:
    """The remembered themes for this engine's database: on disk in its analytical copy's folder
    when it has one (the app's routed engine) or one was named (`remember_in`), else in memory only."""
    folder = getattr(engine, "__dict__", {}).get(_FOLDER_KEY) or getattr(getattr(engine, "copy", None), "folder", None)
    with _registry_lock:
        if folder not in _registry:
            _registry[folder] = TextThemes(None if folder is None else Path(folder) / FILE_NAME)
        return _registry[folder]


def remember_in(engine: Any, folder: Path) -> None:
    """Remember the themes of texts read through `engine` in `folder` (a copy folder of its database)."""
    engine.__dict__[_FOLDER_KEY] = Path(folder)


def fingerprint() -> bytes:
    """What decides a text's themes besides the text: the lexicon's files, the place names known,
    jieba's version and the themes' order (the stored bit masks follow it)."""
    digest = hashlib.blake2b(digest_size=_DIGEST_BYTES)
    for path in sorted(segment.LEXICON.glob("*")):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update("\0".join(sorted(segment.place_names())).encode())
    digest.update(str(jieba.__version__).encode())
    digest.update("\0".join(theme.code for theme in themes()).encode())
    return digest.digest()


class TextThemes:
    """Themes of texts, remembered in memory and (with a path) in a SQLite file of its own."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: dict[bytes, int] = {}
        self._lock = threading.Lock()
        self._codes = [theme.code for theme in themes()]
        self._sets: dict[int, frozenset[str]] = {}
        self._fingerprint: tuple[int, bytes] | None = None

    def of(self, texts: Sequence[object]) -> list[frozenset[str]]:
        """The themes each text raises, in order (None and blanks raise none)."""
        salt = self._salt()
        keys = [_digest(salt, text) for text in texts]
        with self._lock:
            masks = {key: self._memory[key] for key in keys if key in self._memory}
        missing = list(dict.fromkeys(key for key in keys if key not in masks))
        if missing:
            masks.update(self._read(missing))
        found: dict[bytes, int] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in masks:
                masks[key] = found[key] = self._mask(themes_of(text))
        if found:
            self._write(found)
        with self._lock:
            if len(self._memory) + len(masks) > MEMORY_ENTRIES:
                self._memory.clear()
            self._memory.update(masks)
        return [self._codes_of(masks[key]) for key in keys]

    def _salt(self) -> bytes:
        places = len(segment.place_names())  # names only grow: a new one changes every digest
        if self._fingerprint is None or self._fingerprint[0] != places:
            self._fingerprint = (places, fingerprint())
        return self._fingerprint[1]

    def _mask(self, codes: frozenset[str]) -> int:
        return sum(1 << position for position, code in enumerate(self._codes) if code in codes)

    def _codes_of(self, mask: int) -> frozenset[str]:
        codes = self._sets.get(mask)
        if codes is None:  # a few dozen masks occur: each set is made once
            codes = frozenset(code for position, code in enumerate(self._codes) if mask >> position & 1)
            self._sets[mask] = codes
        return codes

    # --- the file ---------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        conn = sqlite3.connect(self.path, timeout=5)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS text_themes (key BLOB PRIMARY KEY, themes INTEGER NOT NULL) WITHOUT ROWID"
        )
        return conn

    def _read(self, keys: list[bytes]) -> dict[bytes, int]:
        if self.path is None or not self.path.parent.is_dir():
            return {}
        try:
            conn = self._connect()
            try:
                found: dict[bytes, int] = {}
                for start in range(0, len(keys), CHUNK):
                    chunk = keys[start : start + CHUNK]
                    marks = ",".join("?" * len(chunk))
                    sql = f"SELECT key, themes FROM text_themes WHERE key IN ({marks})"  # noqa: S608 - only ? marks
                    found.update(conn.execute(sql, chunk).fetchall())
                return found
            finally:
                conn.close()
        except sqlite3.Error as exc:
            self._damaged(exc)
            return {}

    def _write(self, masks: dict[bytes, int]) -> None:
        if self.path is None or not self.path.parent.is_dir():
            return
        try:
            conn = self._connect()
            try:
                with conn:
                    conn.executemany("INSERT OR REPLACE INTO text_themes VALUES (?, ?)", masks.items())
            finally:
                conn.close()
        except sqlite3.Error as exc:
            self._damaged(exc)

    def _damaged(self, exc: sqlite3.Error) -> None:
        """A file that is not a database is removed (it is only a cache); a busy or full one is left."""
        log.warning("the remembered themes in %s cannot be used (%s): finding them again", self.path, exc)
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc) and self.path is not None:
            for suffix in ("", "-wal", "-shm"):
                self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)


def _digest(salt: bytes, text: object) -> bytes:
    value = "" if text is None else str(text)
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=_DIGEST_BYTES, key=salt).digest()
