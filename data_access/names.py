"""English forms of Chinese place and office names, for a grid or a department whose feed gave none.

Proper names are written in pinyin (虎头岩 -> Hutouyan), the generic words of Chinese
administrative names are translated (社区 Community, 第3网格 Grid 3), and a name
already in Latin letters is kept as it is. The demo generator and the importer
store the result in `grids.name_en`; the app uses it where that column is empty.

    english_name("虎头岩社区第1网格")  -> "Hutouyan Grid 1"
    english_name("石油路街道")          -> "Shiyoulu Street"
    english_name("Mission")             -> "Mission"
"""

from __future__ import annotations

import re
from functools import lru_cache

# Generic words at the end of a name, longest first: (Chinese, English).
SUFFIXES = (
    ("居委会", "Residents' Committee"),
    ("纪工委", "Discipline Committee"),
    ("中队", "Squad"),
    ("平台", "Post"),
    ("社区", "Community"),
    ("街道", "Street"),
    ("小区", "Estate"),
    ("片区", "Area"),
    ("大道", "Avenue"),
    ("广场", "Square"),
    ("公园", "Park"),
    ("路", "Road"),
    ("街", "Street"),
    ("巷", "Lane"),
    ("村", "Village"),
    ("所", "Office"),
    ("办", "Office"),
)
_GRID = re.compile(r"^(?P<area>.*?)(?:社区)?第?(?P<number>[0-9０-９一二三四五六七八九十]+)(?:号)?网格$")
_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_HAN = re.compile(r"[\u3400-\u9fff]")


def _number(text: str) -> str:
    """Arabic, full-width or Chinese numerals (up to 99) as Arabic digits."""
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if text.isdigit():
        return str(int(text))
    if "十" in text:
        tens, _, ones = text.partition("十")
        return str(_DIGITS.get(tens, 1) * 10 + _DIGITS.get(ones, 0))
    return str(_DIGITS.get(text, text))


def romanised(text: str) -> str:
    """Pinyin of a proper name as one capitalised word (长江 -> Changjiang); Latin text kept."""
    # Imported here, when a name is missing its English form: pypinyin's phrase dictionary (which
    # reads 重庆 as Chongqing, not Zhongqing) takes about 55 MB in every app process that loads it,
    # and a feed that gives English names never needs it.
    from pypinyin import lazy_pinyin

    parts, word = [], ""
    for piece in lazy_pinyin(text.strip()):
        if _HAN.search(piece) is None and piece.isascii() and piece.isalpha() and piece.islower():
            word += piece  # a syllable: joined to the word it belongs to
        else:
            if word:
                parts.append(word.capitalize())
                word = ""
            parts.append(piece.strip())
    if word:
        parts.append(word.capitalize())
    return " ".join(p for p in parts if p)


@lru_cache(maxsize=4096)
def english_name(name: str) -> str:
    """The English form of an area's Chinese name (see the module's docstring)."""
    name = str(name or "").strip()
    if not name or not _HAN.search(name):
        return name
    grid = _GRID.match(name)
    if grid:
        area = english_name(grid["area"]) if grid["area"] else ""
        return f"{area} Grid {_number(grid['number'])}".strip()
    for chinese, english in SUFFIXES:
        if name.endswith(chinese) and len(name) > len(chinese):
            return f"{romanised(name[: -len(chinese)])} {english}"
    return romanised(name)


def english_or_given(name_en: object, name: object) -> str:
    """The feed's English name where it gave one, else the English form of the Chinese name."""
    given = "" if name_en is None or name_en != name_en else str(name_en).strip()  # None / NaN: none given
    return given or english_name(str(name or ""))
