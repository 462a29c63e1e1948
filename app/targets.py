"""The street's targets: what each headline share should reach, and how a figure is judged against
its target. One setting (`targets`, app/settings.py) holds them; the public pages, the big screen
and the staff pages' 考核 all read them from here, so a figure is coloured the same everywhere.

    [app.targets]                 # .streamlit/secrets.toml
    resolution_rate = 0.90
    on_time_share = 0.85
    patrol_compliance = 0.95
    alert_dispatch_share = 0.90   # welfare alerts with someone dispatched within ...
    alert_dispatch_minutes = 30   # ... this many minutes
    [app.targets.on_time_by_category]
    garbage = 0.95                # a category's own on-time target (its code)

or the same as JSON in SYL_TARGETS. Shares are fractions (0.85 for 85 %).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Literal

from app.setting_tables import table_of

Judgement = Literal["met", "near", "below"]
NEAR = 0.05  # within 5 percentage points below the target: "near", not yet "below"
SHARES = ("resolution_rate", "on_time_share", "patrol_compliance", "alert_dispatch_share")


@dataclass(frozen=True)
class Targets:
    resolution_rate: float = 0.90
    on_time_share: float = 0.85
    patrol_compliance: float = 0.95
    alert_dispatch_share: float = 0.90
    alert_dispatch_minutes: int = 30
    on_time_by_category: tuple[tuple[str, float], ...] = ()  # (category code, share): hashable, like all settings

    def of(self, metric: str, category: object = None) -> float | None:
        """The target of `metric` (one of SHARES), a category's own where it has one."""
        own = dict(self.on_time_by_category)
        if metric == "on_time_share" and isinstance(category, str) and category in own:
            return own[category]
        return getattr(self, metric) if metric in SHARES else None

    def judge(self, metric: str, value: object, category: object = None) -> Judgement | None:
        """met / near / below for a figure, None when there is no figure or no target."""
        return judge(value, self.of(metric, category))


def judge(value: object, target: float | None) -> Judgement | None:
    if target is None or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if number != number:  # NaN: no figure
        return None
    if number >= target - 1e-9:
        return "met"
    return "near" if number >= target - NEAR else "below"


def _share(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name}: not a number: {value!r}")
    if not 0 < value <= 1:
        raise ValueError(f"{name}: {value!r} is not a share between 0 and 1 (write 0.85 for 85 %)")
    return float(value)


def parse_targets(raw: object) -> Targets:
    """A [app.targets] table, or its JSON text (SYL_TARGETS). Unknown names are refused, so a typo
    is reported instead of silently leaving the default in place."""
    raw = table_of(raw, "targets", {f.name for f in fields(Targets)})
    values: dict[str, object] = {}
    for name in SHARES:
        if name in raw:
            values[name] = _share(name, raw[name])
    if "alert_dispatch_minutes" in raw:
        minutes = raw["alert_dispatch_minutes"]
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= 24 * 60:
            raise ValueError(f"alert_dispatch_minutes: not a whole number of minutes up to a day: {minutes!r}")
        values["alert_dispatch_minutes"] = minutes
    if "on_time_by_category" in raw:
        table = raw["on_time_by_category"]
        if not isinstance(table, Mapping):
            raise ValueError("on_time_by_category: not a table of category code = share")
        values["on_time_by_category"] = tuple(
            (str(code), _share(f"on_time_by_category.{code}", share)) for code, share in sorted(table.items())
        )
    return Targets(**values)  # type: ignore[arg-type]
