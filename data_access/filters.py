"""Typed filters the pages pass to the data layer (never raw SQL fragments).

IssueFilters is also the one way to narrow any query to an area (its community_ids and grid_ids):
a Scope says what a caller may see, a filter what they chose to look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, and_, select, true
from sqlalchemy.sql.elements import ColumnElement

from data_access.schema import grids


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

    def on_grid(self, grid_col: ColumnElement) -> ColumnElement[bool]:
        """Rows whose grid lies in the chosen area (its communities and grids); everything if none."""
        parts: list[ColumnElement[bool]] = []
        if self.community_ids:
            parts.append(grid_col.in_(select(grids.c.grid_id).where(grids.c.community_id.in_(self.community_ids))))
        if self.grid_ids:
            parts.append(grid_col.in_(self.grid_ids))
        return and_(true(), *parts)


EVERYWHERE = IssueFilters()  # no narrowing
