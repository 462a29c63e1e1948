"""Plotly's property paths ("xaxis_title_text", "marker.color"), parsed once per path.

Every `update_layout(xaxis_title_text=...)`, `update_traces(...)` or property set splits its
path with plotly's `_str_to_dict_path_full` (plotly 7.1), which defines a class on every call
(`chomp_empty_strings`' `_Chomper`). A city-scale page run parsed about 900 paths: about
20 ms of a 110 ms warm run, and some 7,500 objects in reference cycles (a class refers to
itself), which only the garbage collector frees, with every script stopped while it does.

The answer depends on the path string alone (and plotly's fixed list of underscore properties),
so it is kept per string, with the same result as plotly's own (tests/test_plotly_paths.py
holds the two together). A path that is not a string goes to plotly unchanged.
"""

from __future__ import annotations

from functools import lru_cache

from plotly import basedatatypes

_PLOTLY_OWN = basedatatypes._str_to_dict_path_full  # the function this stands in for


@lru_cache(maxsize=4096)
def _parsed(path: str) -> tuple[tuple, tuple]:
    keys, starts = _PLOTLY_OWN(path)
    return keys, tuple(starts)


def str_to_dict_path_full(path: object) -> tuple[tuple, list[int]]:
    """Plotly's `_str_to_dict_path_full`, kept per path (a fresh list each call, as plotly's)."""
    if not isinstance(path, str):
        return _PLOTLY_OWN(path)
    keys, starts = _parsed(path)
    return keys, list(starts)


def install() -> None:
    """Plotly's own callers look the function up in their module at each call: replaced there."""
    basedatatypes._str_to_dict_path_full = str_to_dict_path_full
