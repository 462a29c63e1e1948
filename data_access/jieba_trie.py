"""jieba's dictionary held in a trie: the same cuts as jieba's own, in about 6 MiB instead of 60.

jieba keeps its dictionary as one Python dict of every word and every prefix of a word (498,000
str keys, about 60 MiB in each process that segments). `TrieTokenizer` keeps jieba's 349,000 words
in a marisa trie (1.2 MiB) and their frequencies in an array (2.8 MiB); a word added at run time
(segment.py's lexicon and the database's place names: hundreds) changes its frequency in that array
when the trie holds it, and is otherwise kept in a small dict on top, with its prefixes, as jieba
would. It overrides where a cut reads the dictionary (`get_DAG`, `calc`, and jieba's cut without
its HMM, which segment.py uses, so that it finds each word once) and gives jieba's `add_word` and
`suggest_freq` a `FREQ` that answers as jieba's dict did, prefixes included. A cut is the same list
of words as jieba's own (tests/test_jieba_trie.py holds them to each other on many texts).
Measured (bench/segmenter_memory.py): 5.7 MiB against 60.9, loaded in 0.02 s against 0.8, cutting
a median 1.1x slower.

The trie is built from jieba's own dict.txt (about 2 s) once per machine and user, and kept in a
folder of the user's own in the temporary folder (`syl-jieba-<uid>`, mode 0700; a folder anyone
else could write in is not used), under jieba's version and the file's size and time, checked whole
(a digest) before it is read; the themes child (theme_fill.py) usually builds it before an app
process needs it. A process that cannot read or write that file builds the trie in memory.
"""

from __future__ import annotations

import array
import hashlib
import logging
import math
import os
import stat
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import jieba
import marisa_trie

log = logging.getLogger(__name__)

_MAGIC = b"syl-jieba-trie 1\n"
_HEADER = struct.Struct("<QQQQ")  # total frequency, number of words, longest word, bytes of the trie
_DIGEST_BYTES = 16
_MISSING = object()


class Frequencies:
    """What jieba's FREQ dict answered (a word's frequency, 0 for a prefix of a word, absent else),
    read from the trie and the words added on top. jieba's `add_word` writes to it."""

    def __init__(self, trie: marisa_trie.Trie, counts: array.array) -> None:
        self.trie = trie
        self.counts = counts
        self.added: dict[str, int] = {}  # words the trie does not hold, and their prefixes (0)
        self.added_prefixes: set[str] = set()  # every prefix of every word in `added`

    def get(self, word: str, default: object = None) -> object:
        if word in self.added:
            return self.added[word]
        key = self.trie.get(word)
        if key is not None:
            return self.counts[key]
        return 0 if self._is_prefix(word) else default

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and (word in self.added or self._is_prefix(word))

    def __getitem__(self, word: str) -> object:
        found = self.get(word, _MISSING)
        if found is _MISSING:
            raise KeyError(word)
        return found

    def __setitem__(self, word: str, freq: int) -> None:
        key = self.trie.get(word)
        if key is not None:
            self.counts[key] = freq
            return
        self.added[word] = freq
        self.added_prefixes.update(word[: end + 1] for end in range(len(word)))

    def _is_prefix(self, word: str) -> bool:
        """A key of the trie starts with `word` (the key itself included)."""
        return next(self.trie.iterkeys(word), None) is not None


class TrieTokenizer(jieba.Tokenizer):
    """jieba's Tokenizer reading its dictionary from a trie (see the module's docstring)."""

    def __init__(self, cache_folder: Path | None = None) -> None:
        super().__init__()
        self.cache_folder = cache_folder
        self.longest = 1

    def initialize(self, dictionary: str | None = None) -> None:
        if dictionary:
            raise ValueError("TrieTokenizer reads jieba's own dictionary only")
        with self.lock:
            if self.initialized:
                return
            trie, counts, self.total, self.longest = load(self.cache_folder)
            self.FREQ = Frequencies(trie, counts)
            self.initialized = True

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:  # noqa: N802 - jieba's name
        """jieba's DAG: for each position, the last positions of the words that start there."""
        return {k: [end for end, _ in found] for k, found in enumerate(self._words_at(sentence))}

    def _words_at(self, sentence: str) -> list[list[tuple[int, int]]]:
        """For each position, (last position, frequency) of each word starting there, shortest first;
        where none does, the character alone with frequency 0 (jieba's DAG and the frequencies its
        `calc` reads, found at once)."""
        self.check_initialized()
        table: Frequencies = self.FREQ
        prefixes, counts = table.trie.iter_prefixes_with_ids, table.counts
        added, added_prefixes = table.added, table.added_prefixes
        longest = self.longest
        words = []
        n = len(sentence)
        for k in range(n):
            tail = sentence[k : k + longest]
            found = [(k + len(word) - 1, count) for word, key in prefixes(tail) if (count := counts[key])]
            if sentence[k] in added_prefixes:  # a word added at run time may start here
                end = k
                frag = sentence[k]
                while end < n and frag in added_prefixes:
                    if added.get(frag):
                        found.append((end, added[frag]))
                    end += 1
                    frag = sentence[k : end + 1]
                found.sort()
            words.append(found or [(k, 0)])
        return words

    def _Tokenizer__cut_DAG_NO_HMM(self, sentence: str) -> Iterator[str]:  # noqa: N802 - jieba's private name
        """jieba's cut without its HMM (what segment.py uses), the route found from `_words_at`
        directly: as jieba's `get_DAG` and `calc`, without looking each word up a second time."""
        words = self._words_at(sentence)
        n = len(sentence)
        log_total = math.log(self.total)
        route: list[tuple[float, int]] = [(0, 0)] * (n + 1)
        for idx in range(n - 1, -1, -1):
            route[idx] = max((math.log(freq or 1) - log_total + route[end + 1][0], end) for end, freq in words[idx])
        x = 0
        buf = ""
        while x < n:
            y = route[x][1] + 1
            word = sentence[x:y]
            if len(word) == 1 and jieba.re_eng.match(word):
                buf += word
            else:
                if buf:
                    yield buf
                    buf = ""
                yield word
            x = y
        if buf:
            yield buf

    def calc(self, sentence: str, dag: dict[int, list[int]], route: dict[int, tuple[float, int]]) -> None:
        """jieba's best route: the most probable words from each position to the end."""
        freq = self.FREQ.get
        n = len(sentence)
        route[n] = (0, 0)
        log_total = math.log(self.total)
        for idx in range(n - 1, -1, -1):
            route[idx] = max(
                (math.log(freq(sentence[idx : x + 1]) or 1) - log_total + route[x + 1][0], x) for x in dag[idx]
            )


def load(cache_folder: Path | None = None) -> tuple[marisa_trie.Trie, array.array, int, int]:
    """The trie, each word's frequency by the trie's key id, the total and the longest word's length:
    from the cache file when it is there and whole, else built from jieba's dict.txt (and the cache
    written for next time)."""
    folder = cache_folder or private_folder()
    if folder is None:
        return build()
    path = cache_path(folder)
    try:
        return _read(path.read_bytes())
    except FileNotFoundError:
        pass
    except (OSError, ValueError, RuntimeError) as exc:
        log.warning("jieba's trie cache %s could not be read (%s); building it again", path, exc)
    found = build()
    _write(path, *found)
    return found


def dictionary_file() -> Path:
    """jieba's own dict.txt."""
    return Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)


def private_folder() -> Path | None:
    """This user's own folder for the cache in the temporary folder (`syl-jieba-<uid>`, made with
    mode 0700). None when it is not this user's alone (another user made it first, or others may
    write in it): a trie someone else could have written is never read, it is built instead."""
    folder = Path(tempfile.gettempdir()) / f"syl-jieba-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        found = folder.lstat()
    except OSError as exc:
        log.warning("no folder for jieba's trie cache (%s); it will be built in memory", exc)
        return None
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o022:
        log.warning("%s is not this user's alone; jieba's trie will be built in memory", folder)
        return None
    return folder


def cache_path(folder: Path) -> Path:
    """Where the trie of this jieba's dictionary is kept in `folder`: named by jieba's version and
    dict.txt's place, size and time, so an upgrade builds a new one."""
    source = dictionary_file()
    found = source.stat()
    key = f"{jieba.__version__}:{source}:{found.st_size}:{found.st_mtime_ns}"
    return folder / ("syl-jieba-" + hashlib.blake2b(key.encode(), digest_size=8).hexdigest() + ".trie")


def build() -> tuple[marisa_trie.Trie, array.array, int, int]:
    """The trie from jieba's dict.txt, read twice (words, then frequencies) so that its 349,000
    words are never all Python strings at once. A word listed twice keeps its last frequency and
    both count in the total, as jieba's own loader does."""
    trie = marisa_trie.Trie(word for word, _ in _entries())
    counts = array.array("Q", bytes(8 * len(trie)))
    total = longest = 0
    key_id = trie.key_id
    for word, freq in _entries():
        counts[key_id(word)] = freq
        total += freq
        longest = max(longest, len(word))
    return trie, counts, total, longest


def _entries() -> Iterator[tuple[str, int]]:
    with dictionary_file().open("rb") as source:
        for number, line in enumerate(source, 1):
            try:
                word, freq = line.strip().decode("utf-8").split(" ")[:2]
                yield word, int(freq)
            except ValueError as exc:
                raise ValueError(f"jieba's dict.txt, line {number}: {line[:80]!r}") from exc


def _read(blob: bytes) -> tuple[marisa_trie.Trie, array.array, int, int]:
    """The parts of a cache file, checked whole (its digest) before the trie is made from them."""
    start = len(_MAGIC) + _HEADER.size + _DIGEST_BYTES
    if not blob.startswith(_MAGIC) or len(blob) < start:
        raise ValueError("not a trie cache")
    total, words, longest, trie_bytes = _HEADER.unpack_from(blob, len(_MAGIC))
    if len(blob) != start + 8 * words + trie_bytes:
        raise ValueError("a trie cache of the wrong length")
    if blob[start - _DIGEST_BYTES : start] != _digest(blob[start:]):
        raise ValueError("a damaged trie cache")
    counts = array.array("Q")
    counts.frombytes(blob[start : start + 8 * words])
    trie = marisa_trie.Trie().frombytes(blob[start + 8 * words :])
    if len(trie) != words:
        raise ValueError("a trie cache whose parts disagree")
    return trie, counts, total, longest


def _write(path: Path, trie: marisa_trie.Trie, counts: array.array, total: int, longest: int) -> None:
    """Write the cache whole or not at all (a temporary file renamed); a failure is only logged."""
    trie_bytes = trie.tobytes()
    payload = counts.tobytes() + trie_bytes
    header = _HEADER.pack(total, len(counts), longest, len(trie_bytes))
    temporary = None
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
        with os.fdopen(fd, "wb") as out:
            out.write(_MAGIC + header + _digest(payload) + payload)
        os.replace(temporary, path)
    except OSError as exc:
        log.warning("jieba's trie could not be kept in %s (%s); it will be built again", path, exc)
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_DIGEST_BYTES).digest()
