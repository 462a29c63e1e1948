"""Periods on the days users meet: Monday 08:00, the first of a month, a week just begun, the last
day of February, a leap year; in the street's zone, not the server's."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from data_access import localtime
from data_access.periods import (
    KEYS,
    last_complete_week,
    last_whole_month,
    month_keys,
    months,
    open_month,
    period,
    week_progress,
)

CHONGQING = localtime.zone("Asia/Shanghai")
LA = localtime.zone("America/Los_Angeles")


def _utc(local: datetime, where: localtime.Zone) -> datetime:
    return where.utc(local)


def test_monday_eight_in_the_morning_is_the_first_day_of_a_week_just_begun() -> None:
    as_of = _utc(datetime(2026, 11, 30, 8, 0), CHONGQING)  # a Monday, 00:00 UTC
    week = period("week", as_of, CHONGQING)
    assert (week.first_day, week.last_day) == (date(2026, 11, 30), date(2026, 11, 30))
    assert week.since == datetime(2026, 11, 29, 16, 0)  # local midnight is 16:00 UTC the day before
    assert week.until == datetime(2026, 11, 30, 16, 0)
    progress = week_progress(as_of, CHONGQING)
    assert (progress.monday, progress.days_gone) == (date(2026, 11, 30), 1)
    assert progress.expected(2) == pytest.approx(2 / 7)
    assert last_complete_week(as_of, CHONGQING) == date(2026, 11, 23)
    assert period("last_week", as_of, CHONGQING).last_day == date(2026, 11, 29)


def test_the_local_day_decides_not_the_utc_day() -> None:
    late_sunday_utc = datetime(2026, 11, 29, 20, 0)  # already Monday 04:00 in Chongqing
    assert period("week", late_sunday_utc, CHONGQING).first_day == date(2026, 11, 30)
    assert period("week", late_sunday_utc, LA).first_day == date(2026, 11, 23)  # Sunday 12:00 there
    assert week_progress(late_sunday_utc, LA).days_gone == 7  # Sunday noon: still in progress
    assert last_complete_week(late_sunday_utc, LA) == date(2026, 11, 16)


def test_rolling_periods_end_today_and_count_whole_days() -> None:
    as_of = _utc(datetime(2026, 11, 30, 8, 0), CHONGQING)
    for key, days in (("7d", 7), ("30d", 30), ("90d", 90), ("180d", 180), ("12m", 365)):
        span = period(key, as_of, CHONGQING)
        assert span.last_day == date(2026, 11, 30) and span.days == days
        before = span.previous()
        assert before.last_day == span.first_day - timedelta(days=1) and before.days == days


def test_the_first_of_a_month_has_one_day_and_compares_with_the_first_of_the_last() -> None:
    as_of = _utc(datetime(2026, 12, 1, 0, 5), CHONGQING)
    month = period("month", as_of, CHONGQING)
    assert (month.first_day, month.last_day, month.days) == (date(2026, 12, 1), date(2026, 12, 1), 1)
    before = month.previous()
    assert (before.first_day, before.last_day) == (date(2026, 11, 1), date(2026, 11, 1))


def test_month_to_date_against_a_shorter_month_stops_at_its_end() -> None:
    as_of = _utc(datetime(2026, 3, 31, 12, 0), CHONGQING)
    before = period("month", as_of, CHONGQING).previous()
    assert (before.first_day, before.last_day) == (date(2026, 2, 1), date(2026, 2, 28))


def test_year_to_date_on_a_leap_day_compares_with_28_february() -> None:
    as_of = _utc(datetime(2028, 2, 29, 9, 0), CHONGQING)
    year = period("year", as_of, CHONGQING)
    assert (year.first_day, year.days) == (date(2028, 1, 1), 60)
    before = year.previous()
    assert (before.first_day, before.last_day) == (date(2027, 1, 1), date(2027, 2, 28))


def test_custom_days_are_ordered_and_never_run_past_the_data() -> None:
    as_of = _utc(datetime(2026, 11, 30, 8, 0), CHONGQING)
    span = period("custom", as_of, CHONGQING, date(2026, 12, 20), date(2026, 11, 2))
    assert (span.first_day, span.last_day) == (date(2026, 11, 2), date(2026, 11, 30))
    with pytest.raises(ValueError):
        period("custom", as_of, CHONGQING)


def test_all_time_has_no_bounds_and_unknown_keys_are_refused() -> None:
    as_of = datetime(2026, 11, 30)
    everything = period("all", as_of, CHONGQING)
    assert everything.since is None and everything.until is None and everything.days is None
    assert everything.previous() == everything
    with pytest.raises(ValueError, match="unknown period"):
        period("fortnight", as_of, CHONGQING)
    assert set(KEYS) >= {"7d", "30d", "week", "last_week", "month", "year", "all", "custom"}


def test_a_period_spanning_a_clock_change_still_ends_at_local_midnight() -> None:
    as_of = datetime(2026, 3, 9, 19, 0)  # Monday 12:00 in Los Angeles, the day after spring forward
    week = period("last_week", as_of, LA)
    assert week.since == datetime(2026, 3, 2, 8, 0)  # PST midnight
    assert week.until == datetime(2026, 3, 9, 7, 0)  # PDT midnight


def test_a_trends_months_each_have_a_place_and_the_one_going_on_is_open() -> None:
    as_of = _utc(datetime(2026, 12, 1, 8, 0), CHONGQING)  # the 1st, 08:00
    day = date(2026, 12, 1)
    year = months(day, CHONGQING)
    keys = month_keys(year)
    assert keys[0] == "2026-01" and keys[-1] == "2026-12" and len(keys) == 12
    assert open_month(year, day) == "2026-12"  # one day of December: never a whole month
    assert open_month(months(date(2026, 12, 31), CHONGQING), date(2026, 12, 31)) == "2026-12"  # today is never over
    # A period that ends before today: its last month is whole only if the period reaches the month's end.
    assert open_month(months(date(2026, 11, 30), CHONGQING), day) is None
    assert open_month(months(date(2026, 11, 29), CHONGQING), day) == "2026-11"
    assert open_month(months(date(2024, 2, 29), CHONGQING), day) is None  # a leap February ends on the 29th
    assert open_month(months(date(2023, 2, 28), CHONGQING), day) is None
    # Across a new year, and a span that is not whole months.
    assert month_keys(period("custom", as_of, CHONGQING, date(2025, 11, 20), date(2026, 1, 3))) == [
        "2025-11",
        "2025-12",
        "2026-01",
    ]
    assert month_keys(period("all", as_of, CHONGQING)) == []


def test_the_last_whole_month_on_the_first_and_on_new_years_day() -> None:
    first = last_whole_month(_utc(datetime(2026, 12, 1, 8, 0), CHONGQING), CHONGQING)
    assert (first.first_day, first.last_day) == (date(2026, 11, 1), date(2026, 11, 30))
    new_year = last_whole_month(_utc(datetime(2027, 1, 1, 0, 30), CHONGQING), CHONGQING)  # 16:30 UTC on 31 Dec
    assert (new_year.first_day, new_year.last_day) == (date(2026, 12, 1), date(2026, 12, 31))
    march = last_whole_month(_utc(datetime(2024, 3, 15, 12, 0), CHONGQING), CHONGQING)
    assert (march.first_day, march.last_day) == (date(2024, 2, 1), date(2024, 2, 29))
