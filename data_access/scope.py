"""What a caller may see, as SQL conditions: rights only, never a page's narrowing.

Every scoped data-layer function takes a Scope and filters in SQL; the app builds
it once per visitor (app/audience.py), never from page input. Narrowing to an
area is a filter (IssueFilters), not a Scope. An empty grid scope sees nothing
(not everything). The public scope covers the whole street for aggregates and
anonymous listings only: staff-only functions refuse it (data_access/access.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, false, select, true
from sqlalchemy.sql.elements import ColumnElement

from data_access.schema import grids


@dataclass(frozen=True)
class Scope:
    community_id: str | None = None
    grid_ids: tuple[str, ...] | None = None
    public: bool = False  # an anonymous visitor: aggregates over the street, no rows about people
    may_reveal: bool = False  # may ask for unmasked names and phones (street officials)

    @classmethod
    def public_visitor(cls) -> Scope:
        return cls(public=True)

    @classmethod
    def street(cls, may_reveal: bool = False) -> Scope:
        return cls(may_reveal=may_reveal)

    @classmethod
    def community(cls, community_id: str) -> Scope:
        return cls(community_id=community_id)

    @classmethod
    def grids(cls, *grid_ids: str) -> Scope:
        return cls(grid_ids=tuple(sorted(grid_ids)))

    @property
    def kind(self) -> str:
        if self.grid_ids is not None:
            return "grids"
        return "community" if self.community_id is not None else "street"

    def grid_select(self) -> Select:
        """The grid ids in scope, as a subquery-able SELECT."""
        query = select(grids.c.grid_id)
        if self.grid_ids is not None:
            return query.where(grids.c.grid_id.in_(self.grid_ids) if self.grid_ids else false())
        if self.community_id is not None:
            return query.where(grids.c.community_id == self.community_id)
        return query

    def on_grid(self, grid_col: ColumnElement) -> ColumnElement[bool]:
        """Rows whose grid column lies in scope (street scope: every row, even orphans)."""
        if self.kind == "street":
            return true()
        return grid_col.in_(self.grid_select().scalar_subquery())

    def on_issue(self, issue_table) -> ColumnElement[bool]:  # noqa: ANN001 - a Table
        """Issues in scope: by grid for grid officers, by community id for community staff."""
        if self.kind == "grids":
            return issue_table.c.grid_id.in_(self.grid_ids) if self.grid_ids else false()
        if self.kind == "community":
            return issue_table.c.community_id == self.community_id
        return true()
