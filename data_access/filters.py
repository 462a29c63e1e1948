"""Typed filters the pages pass to the data layer (never raw SQL fragments)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, and_, true
from sqlalchemy.sql.elements import ColumnElement


@dataclass(frozen=True)
class IssueFilters:
    """Issues reported in [since, until) (naive UTC), narrowed by codes and places."""

    since: datetime | None = None
    until: datetime | None = None
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    community_ids: tuple[str, ...] = ()
    grid_ids: tuple[str, ...] = ()
    officer_ids: tuple[int, ...] = ()

    def clause(self, issues: Table) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        if self.since is not None:
            parts.append(issues.c.reported_at >= self.since)
        if self.until is not None:
            parts.append(issues.c.reported_at < self.until)
        for column, values in (
            (issues.c.category_code, self.categories),
            (issues.c.channel, self.channels),
            (issues.c.status, self.statuses),
            (issues.c.community_id, self.community_ids),
            (issues.c.grid_id, self.grid_ids),
            (issues.c.assigned_officer_id, self.officer_ids),
        ):
            if values:
                parts.append(column.in_(values))
        return and_(true(), *parts)
