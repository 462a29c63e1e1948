"""Themes residents raise, read from the words they write, and the activities the street could hold.

A theme (养老助老, 停车与车位, 噪音扰民 ...; ``lexicon/themes.yaml``) cuts across the issue
categories and consultation topics: a 违规停车 report about cars on the path older residents use
is both parking and elderly care; a noise report about 广场舞 is noise and culture & sport. A text
has a theme when one of the theme's words is one of its terms (``segment.terms``), matched word
for word, not by substring: 停车场 (a spot) is not 停车, 养老保险 (a benefit) is not 养老. Only the
runs of a text holding a theme word as a substring are segmented (``segment.terms_where``): the
words found are the same, and most of the segmenting is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import yaml

from data_access import segment


@dataclass(frozen=True)
class Theme:
    code: str
    name_zh: str
    name_en: str
    words: frozenset[str]
    activity_zh: str  # an activity the street could hold for it
    activity_en: str


@lru_cache(maxsize=1)
def themes() -> tuple[Theme, ...]:
    """Every theme, in the lexicon's order."""
    raw = yaml.safe_load((segment.LEXICON / "themes.yaml").read_text(encoding="utf-8"))
    found = tuple(
        Theme(
            code=str(entry["code"]),
            name_zh=str(entry["name_zh"]),
            name_en=str(entry["name_en"]),
            words=frozenset(str(word) for word in entry["words"]),
            activity_zh=str(entry["activity_zh"]),
            activity_en=str(entry["activity_en"]),
        )
        for entry in raw["themes"]
    )
    codes = [theme.code for theme in found]
    if len(set(codes)) != len(codes):
        raise ValueError("themes.yaml repeats a theme code")
    return found


@lru_cache(maxsize=1)
def theme_words() -> frozenset[str]:
    """Every word that signals some theme (the segmenter keeps them whole)."""
    return frozenset(word for theme in themes() for word in theme.words)


@lru_cache(maxsize=1)
def _themes_of_word() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for theme in themes():
        for word in theme.words:
            index.setdefault(word, set()).add(theme.code)
    return {word: frozenset(codes) for word, codes in index.items()}


def theme(code: str) -> Theme:
    """The theme with this code (KeyError for an unknown one)."""
    for candidate in themes():
        if candidate.code == code:
            return candidate
    raise KeyError(code)


@lru_cache(maxsize=1)
def _theme_word_pattern() -> re.Pattern[str]:
    """Finds every theme word as a substring, in any case (terms are lower-cased)."""
    words = sorted(theme_words(), key=lambda word: (-len(word), word))
    return re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)


def themes_of(text: object) -> frozenset[str]:
    """The codes of the themes a text raises (empty for None, blank or theme-less text)."""
    index = _themes_of_word()
    found: set[str] = set()
    for word in segment.terms_where(text, _theme_word_pattern()):
        codes = index.get(word)
        if codes:
            found |= codes
    return frozenset(found)


def theme_counts(texts: Iterable[object]) -> dict[str, int]:
    """How many texts raise each theme (a text counts once per theme), every theme listed, in the
    lexicon's order, zero where none does."""
    counts = {theme.code: 0 for theme in themes()}
    for text in texts:
        for code in themes_of(text):
            counts[code] += 1
    return counts


def suggested_activities(counts: Mapping[str, int], top: int = 3, minimum: int = 1) -> list[Theme]:
    """The themes raised most (at least `minimum` texts), most first, ties in lexicon order: each
    carries the activity the street could hold for it."""
    order = {theme.code: position for position, theme in enumerate(themes())}
    ranked = sorted(
        (code for code, count in counts.items() if code in order and count >= minimum),
        key=lambda code: (-counts[code], order[code]),
    )
    return [theme(code) for code in ranked[: max(top, 0)]]
