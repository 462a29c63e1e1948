"""Text from the database, the users file or a configuration, made safe for where it is shown.

Names, addresses, titles, categories and error reasons are data, never markup. Tables (st.dataframe),
st.text and deck.gl text tooltips show text as text already; these helpers cover the three places
that would otherwise interpret it:

- ``md``: Streamlit Markdown (titles, captions, notices, labels, metric values): every Markdown,
  HTML and directive character escaped, line breaks flattened, and an invisible joiner in
  ``http://``, ``www.`` and ``@`` so that bare web and mail addresses are not turned into links
  (GitHub Markdown links them even when escaped); ``![x](http://…)`` cannot load an image and
  ``<a href>`` or ``:red[…]`` stay literal. Commands and database addresses shown to the admin
  keep their characters and copy as they read.
- ``chart``: plotly labels, which render a subset of HTML (``<a href>``, ``<b>``, ``<br>``);
  escaped as entities, which plotly shows as the characters themselves.
- ``map_label``: deck.gl's JSON converter reads strings starting with ``@@`` as code or constants
  (``@@=``, ``@@#``, ``@@type``), data rows included; such a string gets an invisible first
  character so it stays a string.
"""

from __future__ import annotations

import html
import re

import pandas as pd

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=&^\"'])")
_AUTOLINKS = re.compile(r"(?i:https?|ftp)(://)|(?i:www)(\.)|(@)")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
_INVISIBLE = "\u2060"  # word joiner: not shown, not a space


def md(value: object) -> str:
    """Text for a Markdown context, shown exactly as written (and never as a link)."""
    text = _AUTOLINKS.sub(_unlinked, _LINE_BREAKS.sub(" ", str(value)))
    return _MARKDOWN.sub(r"\\\1", text)


def _unlinked(match: re.Match) -> str:
    """The matched address start with an invisible joiner before its separator (://, ., @)."""
    whole, separator = match.group(0), next(g for g in match.groups() if g)
    return whole[: len(whole) - len(separator)] + _INVISIBLE + separator


def chart(value: object) -> str:
    """Text for a plotly label, legend or hover."""
    return html.escape(str(value), quote=False)


def charts(values: pd.Series | list) -> list[str]:
    return [chart(v) for v in values]


def map_label(value: object) -> object:
    """A value of a deck.gl layer's data: strings that deck.gl would read as code stay text."""
    if isinstance(value, str) and value.startswith("@@"):
        return _INVISIBLE + value
    return value


def map_rows(data: pd.DataFrame) -> pd.DataFrame:
    """Every text column of a layer's rows through `map_label`."""
    out = data.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = [map_label(v) for v in out[column]]
    return out
