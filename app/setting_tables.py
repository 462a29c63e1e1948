"""Settings that are tables: a [app.<name>] table in .streamlit/secrets.toml, or the same as JSON
text in the environment variable. One reader for all of them, so each refuses the same way."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping


def table_of(raw: object, what: str, known: Collection[str]) -> Mapping:
    """`raw` as a table of names in `known` (JSON text is parsed; empty text is an empty table).
    Anything else, or an unknown name (a typo), raises ValueError: the setting keeps its default
    and the problem is reported, never silently ignored."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc.msg}") from exc
    if not isinstance(raw, Mapping):
        raise ValueError(f"not a table of {what}: {raw!r}")
    unknown = sorted(set(map(str, raw)) - set(known))
    if unknown:
        raise ValueError(f"unknown {what}: {', '.join(unknown)}")
    return raw
