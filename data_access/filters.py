"""Typed filters the pages pass to the data layer (never raw SQL fragments).

IssueFilters is also the one way to narrow any query to an area (its community_ids and grid_ids):
a Scope says what a caller may see, a filter what they chose to look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Table, and_, bindparam, select, true
from sqlalchemy.sql.elements import ColumnElement

from data_access.schema import OPEN_STATUSES, grids, issue_categories
from data_access.sqlfuncs import hours_between


@dataclass(frozen=True)
class IssueFilters:
    """Issues reported in [since, until) (naive UTC), narrowed by codes and places; with
    `overdue_at`, only issues open (by status) at that instant and older than their category's
    time limit (docs/metrics.md "overdue"; a category without a limit is never overdue)."""

    since: datetime | None = None
    until: datetime | None = None
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    community_ids: tuple[str, ...] = ()
    grid_ids: tuple[str, ...] = ()
    officer_ids: tuple[int, ...] = ()
    building_ids: tuple[int, ...] = ()
    overdue_at: datetime | None = None

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
            (issues.c.building_id, self.building_ids),
        ):
            if values:
                parts.append(column.in_(values))
        if self.overdue_at is not None:
            parts.append(overdue(issues, self.overdue_at))
        return and_(true(), *parts)

    def on_grid(self, grid_col: ColumnElement) -> ColumnElement[bool]:
        """Rows whose grid lies in the chosen area (its communities and grids); everything if none."""
        parts: list[ColumnElement[bool]] = []
        if self.community_ids:
            parts.append(grid_col.in_(select(grids.c.grid_id).where(grids.c.community_id.in_(self.community_ids))))
        if self.grid_ids:
            parts.append(grid_col.in_(self.grid_ids))
        return and_(true(), *parts)


def overdue(issues: Table, at: datetime) -> ColumnElement[bool]:
    """Open at `at` by status, reported by then, and older than the category's sla_hours."""
    at_param = bindparam("overdue_at", at, type_=DateTime)
    limit = select(issue_categories.c.sla_hours).where(issue_categories.c.code == issues.c.category_code)
    return and_(
        issues.c.status.in_(OPEN_STATUSES),
        issues.c.reported_at <= at_param,
        hours_between(issues.c.reported_at, at_param) > limit.scalar_subquery(),
    )


EVERYWHERE = IssueFilters()  # no narrowing
