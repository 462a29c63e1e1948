"""Local time for the street (Asia/Shanghai, UTC+8 all year): the one place that converts.

Stored instants are naive UTC. A local day starts at 16:00 UTC of the day before; a local week
starts on Monday (ISO weeks).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

LOCAL_UTC_OFFSET_HOURS = 8
LOCAL_OFFSET = timedelta(hours=LOCAL_UTC_OFFSET_HOURS)


def local_day_start(day: date) -> datetime:
    """The naive-UTC instant at which the local `day` begins."""
    return datetime.combine(day, datetime.min.time()) - LOCAL_OFFSET


def local_date(instant: datetime) -> date:
    """The local calendar day of a naive-UTC instant."""
    return (instant + LOCAL_OFFSET).date()


def week_start(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())
