"""The one catalogue of user-facing text: app/locales/<lang>.yaml, looked up by key.

Simplified Chinese is the default; English on request (?lang=en), kept in the
URL and across pages. A test checks that both catalogues hold the same keys
and that every key the code asks for exists.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LANGUAGES = ("zh", "en")
LOCALES = Path(__file__).resolve().parent / "locales"


@cache
def catalogue(lang: str) -> dict[str, str]:
    with (LOCALES / f"{lang}.yaml").open(encoding="utf-8") as handle:
        nested = yaml.safe_load(handle)
    return dict(_flatten(nested))


def _flatten(tree: dict, prefix: str = ""):  # noqa: ANN202
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, name + ".")
        else:
            yield name, str(value)


def translate(lang: str, key: str, **params: object) -> str:
    """The text for `key` in `lang`, with {params} filled; a missing key shows itself, never crashes."""
    text = catalogue(lang if lang in LANGUAGES else LANGUAGES[0]).get(key)
    if text is None:
        return key
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text
