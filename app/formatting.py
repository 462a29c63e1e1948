"""The one place that formats numbers, shares, durations and times for a language.

Stored times are naive UTC; everything shown is on the street's local clock: the zone the router
sets for each run (`use_zone`, from data_access.localtime.zone_of), Asia/Shanghai by default.
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from datetime import datetime

import pandas as pd

from data_access.localtime import SHANGHAI, Zone

MISSING = "—"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def name_of(names: dict, code: object, unknown: str | None = None) -> str:
    """The display name of a code; a dash when missing (NULL, NaN); for a code the lookup does not
    know, `unknown` ("Unknown category": users see names, not codes), else the code itself."""
    if _missing(code):
        return MISSING
    if code in names:
        return str(names[code])
    return unknown if unknown is not None else str(code)


_zone: ContextVar[Zone] = ContextVar("display_zone", default=SHANGHAI)


def without_prefix(name: str, prefix: str) -> str:
    """A grid's name without its community's name in front ("石油路社区第3网格" in 石油路社区 is
    "第3网格"), for maps that already name the community; a name that is only the prefix stays whole."""
    if not prefix or not name.startswith(prefix) or len(name) == len(prefix):
        return name
    joint = prefix[-1] + name[len(prefix)]
    if joint.isascii() and joint.isalnum():
        return name  # "Hua" is not in front of "Huaxin Grid 1": a Latin word goes on
    return name[len(prefix) :].strip(" ·-") or name


def use_zone(where: Zone) -> None:
    """The zone every time shown in this run is on (each Streamlit run has its own context)."""
    _zone.set(where)


def to_local(value: datetime | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return pd.Timestamp(_zone.get().local(stamp.to_pydatetime()))


def number(value: object, lang: str = "zh", digits: int = 0) -> str:
    if _missing(value):
        return MISSING
    if lang == "zh" and digits == 0 and abs(float(value)) >= 100_000:  # type: ignore[arg-type]
        return f"{float(value) / 10_000:,.1f}万"  # type: ignore[arg-type]
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def share(value: object, digits: int = 1) -> str:
    return MISSING if _missing(value) else f"{float(value) * 100:.{digits}f}%"  # type: ignore[arg-type]


def hours(value: object, lang: str = "zh") -> str:
    """Durations: minutes under an hour, hours under two days, then days."""
    if _missing(value):
        return MISSING
    h = float(value)  # type: ignore[arg-type]
    if h < 1:
        return f"{h * 60:.0f} 分钟" if lang == "zh" else f"{h * 60:.0f} min"
    if h < 48:
        return f"{h:.1f} 小时" if lang == "zh" else f"{h:.1f} h"
    return f"{h / 24:.1f} 天" if lang == "zh" else f"{h / 24:.1f} days"


def minutes(value: object, lang: str = "zh") -> str:
    """A duration given in minutes, shown like `hours`."""
    return MISSING if _missing(value) else hours(float(value) / 60, lang)  # type: ignore[arg-type]


def local_datetime(value: object, lang: str = "zh") -> str:
    if _missing(value):
        return MISSING
    stamp = to_local(value)  # type: ignore[arg-type]
    return stamp.strftime("%Y年%m月%d日 %H:%M") if lang == "zh" else stamp.strftime("%d %b %Y %H:%M")


def local_time(value: object) -> str:
    """HH:MM on the local clock; accepts naive UTC or an aware datetime."""
    if _missing(value):
        return MISSING
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
    return to_local(stamp).strftime("%H:%M")


def local_date(value: object, lang: str = "zh") -> str:
    if _missing(value):
        return MISSING
    stamp = to_local(value)  # type: ignore[arg-type]
    return stamp.strftime("%Y年%m月%d日") if lang == "zh" else stamp.strftime("%d %b %Y")


def calendar_day(day: object, lang: str = "zh") -> str:
    """A local calendar day (a date, not an instant)."""
    if _missing(day):
        return MISSING
    return day.strftime("%Y年%m月%d日") if lang == "zh" else day.strftime("%d %b %Y")  # type: ignore[union-attr]


def month_day(day: object, lang: str = "zh") -> str:
    """A local calendar day without its year, where the year is written beside it."""
    if _missing(day):
        return MISSING
    return f"{day.month}月{day.day}日" if lang == "zh" else day.strftime("%d %b")  # type: ignore[union-attr]


def change(current: object, previous: object, as_share: bool = False, digits: int = 0) -> str | None:
    """The change against the previous period: '+12', '+0.25' or '+1.5 pp'; None when either side is missing."""
    if _missing(current) or _missing(previous):
        return None
    diff = float(current) - float(previous)  # type: ignore[arg-type]
    return f"{diff * 100:+.1f} pp" if as_share else f"{diff:+,.{digits}f}"


def change_hours(current: object, previous: object, lang: str = "zh") -> str | None:
    if _missing(current) or _missing(previous):
        return None
    diff = float(current) - float(previous)  # type: ignore[arg-type]
    return ("+" if diff >= 0 else "-") + hours(abs(diff), lang)


def listing(items: list[str], lang: str) -> str:
    """Names in a sentence: 甲、乙、丙 in Chinese, "a, b, c" in English."""
    return ("、" if lang == "zh" else ", ").join(items)
