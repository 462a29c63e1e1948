"""What part of the street a caller may see, as SQL conditions.

Every data-layer function that returns person-level rows takes a Scope and
filters in SQL; the app builds the Scope from the logged-in user, never from
page input. An empty grid scope sees nothing (not everything).
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

    @classmethod
    def street(cls) -> Scope:
        return cls()

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
