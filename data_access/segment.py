"""Chinese free text into content words: the one place that segments what residents write.

Issue reports and online questions are cut into words by jieba (a dictionary segmenter, no
model download) with the street's own words added: Yuzhong place names and the words of community
work from ``lexicon/user_dict.txt`` (车位共享, 加装电梯, 助餐点 ...), and community and grid names
from the database at run time (``add_place_names``). Those are kept whole, so 虎头岩社区 is one
word, and place names are then dropped: a place says where, not what.

``terms(text)`` is what is left after the stop-list (``lexicon/stopwords.txt``), punctuation,
numbers, markup and single characters are removed; a few single characters that name the thing
a report is about (狗, 灯, 树 ...) are kept. The segmenter runs without its HMM guesser, so words
come from the dictionary only: a resident's name it does not know falls apart into single
characters and never becomes a term.

One tokenizer per process, built on first use under a lock (Streamlit runs sessions in threads).
It is jieba's own, reading jieba's dictionary from a trie (jieba_trie.py): the same cuts in about
6 MiB instead of 60, loaded in some 20 ms from a cache file after the first time.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import jieba

from data_access.jieba_trie import TrieTokenizer

LEXICON = Path(__file__).with_name("lexicon")
MAX_CHARS = 20_000  # longer texts are cut here: a report is never that long, and time stays bounded
PLACE_TAG = "ns"
# Single characters that on their own name what a report is about (狗叫, 灯坏了, 树倒了).
SINGLE_CHARS = frozenset("狗猫灯树水电车烟臭吵偷犬")

_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]{0,500}>")
_URL = re.compile(r"(?:https?|javascript|ftp|ldap)://\S*|javascript:\S*|www\.\S+", re.IGNORECASE)
_WORD = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]{2,}")  # a term has a Chinese character or a Latin word
_DIGITS = re.compile(r"[0-9]")

_lock = threading.Lock()
_tokenizer: TrieTokenizer | None = None
_places: set[str] = set()


def _lexicon_lines(name: str) -> list[str]:
    """The non-empty, non-comment lines of a lexicon file."""
    lines = (LEXICON / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The curated stop-list: words that never become terms."""
    return frozenset(_lexicon_lines("stopwords.txt"))


@lru_cache(maxsize=1)
def user_words() -> tuple[tuple[str, str], ...]:
    """(word, tag) from the user dictionary; tag ``ns`` marks a place name."""
    entries = []
    for line in _lexicon_lines("user_dict.txt"):
        word, _, tag = line.partition(" ")
        entries.append((word, tag.strip() or "n"))
    return tuple(entries)


def _add(tokenizer: jieba.Tokenizer, word: str, tag: str | None) -> None:
    """Add a word so that it is kept whole in running text, not only on its own."""
    freq = max(tokenizer.suggest_freq(word, False) * 10, 1000)
    tokenizer.add_word(word, freq, tag)


def _build() -> TrieTokenizer:
    jieba.setLogLevel(logging.WARNING)  # jieba logs at DEBUG to stderr
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = TrieTokenizer()
    tokenizer.initialize()
    for word, tag in user_words():
        _add(tokenizer, word, tag)
        if tag == PLACE_TAG:
            _places.add(word)
    from data_access.themes import theme_words  # the theme lexicon's words are kept whole too

    for word in sorted(theme_words()):
        if len(word) > 2 or tokenizer.lcut(word, HMM=False) != [word]:
            _add(tokenizer, word, "n")
    for word in _places:
        _add(tokenizer, word, PLACE_TAG)
    return tokenizer


def tokenizer() -> TrieTokenizer:
    """The process's tokenizer, built once (the first caller waits, the others reuse it)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                _tokenizer = _build()
    return _tokenizer


def add_place_names(names: Iterable[str]) -> None:
    """Keep these names (communities, grids, estates from the database) whole, and never as terms.

    Safe to call before or after the first segmentation and from several threads; blank names and
    names already known are skipped."""
    fresh = {str(name).strip() for name in names if name is not None and str(name).strip()}
    with _lock:
        fresh -= _places
        _places.update(fresh)
        if _tokenizer is not None:
            for name in sorted(fresh):
                _add(_tokenizer, name, PLACE_TAG)


def place_names() -> frozenset[str]:
    """Every place name known so far: the user dictionary's and those added at run time (without
    loading the dictionary)."""
    with _lock:
        added = frozenset(_places)
    return added | {word for word, tag in user_words() if tag == PLACE_TAG}


def clean(text: object) -> str:
    """Text as a resident meant it: None as empty, markup and links removed, entities decoded,
    full-width letters and digits made half-width (NFKC), at most MAX_CHARS characters."""
    if text is None:
        return ""
    if isinstance(text, float) and text != text:  # a missing value from pandas
        return ""
    raw = str(text)[: MAX_CHARS * 2]
    raw = _TAG.sub(" ", _SCRIPT.sub(" ", raw))
    raw = _URL.sub(" ", html.unescape(raw))
    return unicodedata.normalize("NFKC", raw)[:MAX_CHARS]


def words(text: object) -> list[str]:
    """Every word of the cleaned text in order, as the segmenter cut it (nothing removed)."""
    cleaned = clean(text)
    if not cleaned:
        return []
    return tokenizer().lcut(cleaned, HMM=False)


def is_term(word: str, stop: frozenset[str], places: frozenset[str] | set[str]) -> bool:
    """A content word: not a stop word, not a place, has Chinese or a Latin word, no digit, and
    more than one character unless it is one of SINGLE_CHARS."""
    if word in stop or word in places or _DIGITS.search(word) or not _WORD.search(word):
        return False
    return len(word) > 1 or word in SINGLE_CHARS


def terms_where(text: object, pattern: re.Pattern[str]) -> list[str]:
    """``terms(text)`` from only the runs of the text in which `pattern` finds something.

    jieba splits a text into runs of letters and digits (``jieba.re_han_default``) and segments
    each run on its own, so a run's words do not depend on the rest of the text. A caller that
    wants only certain words (a theme's) passes a pattern that finds every one of them: the runs
    without any are never segmented, and a text without any costs one regular-expression search.
    That is what makes theming a city's 40,000 texts take a second instead of five."""
    cleaned = clean(text)
    if not cleaned or not pattern.search(cleaned):
        return []
    cut = tokenizer().lcut
    stop = stopwords()
    places = _places
    found: list[str] = []
    for run in jieba.re_han_default.findall(cleaned):
        if pattern.search(run):
            found.extend(word.lower() for word in cut(run, HMM=False) if is_term(word, stop, places))
    return found


def terms(text: object) -> list[str]:
    """The content words of a text in order, repeats kept (Latin words lower-cased).

    terms("石油路菜市场门口的路灯不亮，老人晚上摔倒了") -> ["路灯不亮", "老人", "摔倒"]"""
    found = words(text)
    stop = stopwords()
    places = _places  # read without the lock: a set only grows, and a name added meanwhile is rare
    return [word.lower() for word in found if is_term(word, stop, places)]
