"""Who this visitor is to the data: decided once per run by the router, asked by every query,
download, reveal and audit entry. Pages never decide access themselves.

- ``scope``: what the visitor's own view covers. Staff: their area (street officials and admins the
  whole street); the public: the whole street, aggregates and anonymous listings only.
- Two views of the data. ``own``: the visitor's scope (a grid officer sees their grids).
  ``published``: the street's published figures, the same for every visitor, staff included;
  only functions declared ``anyone`` can be published.
- ``threshold``: the small-cell k. The public, and every published figure, hide groups below k;
  staff see their own area's groups whole.
- ``may_reveal``: unmasked names and phones (street officials). The data layer refuses a reveal
  to any other scope as well.
- ``audited``: staff views of person-level data, reveals and exports go to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from app.registry import PageSpec
from app.roles import PUBLIC, User
from data_access.access import Access, access_of
from data_access.errors import AccessDenied
from data_access.privacy import suppress_groups
from data_access.scope import Scope

VIEWS = ("own", "published")
STREET_ROLES = ("street_official", "admin")
REVEAL_ROLES = ("street_official",)


@dataclass(frozen=True)
class Audience:
    user: User | None
    small_cell_k: int

    @property
    def role(self) -> str:
        return self.user.role if self.user else PUBLIC

    @property
    def is_staff(self) -> bool:
        return self.user is not None

    @property
    def may_reveal(self) -> bool:
        return self.role in REVEAL_ROLES

    @property
    def audited(self) -> bool:
        return self.is_staff

    @property
    def scope(self) -> Scope:
        user = self.user
        if user is None:
            return Scope.public_visitor()
        if user.role in STREET_ROLES:
            return Scope.street(may_reveal=self.may_reveal)
        if user.role == "community_staff":
            return Scope.community(user.community_id or "")
        return Scope.grids(*user.grid_ids)

    def may_open(self, spec: PageSpec) -> bool:
        return self.role in spec.roles

    def scope_for(self, access: Access, view: str) -> Scope:
        """The scope a query runs with, or AccessDenied before anything runs."""
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}")
        if view == "published":
            if access.kind != "anyone":
                raise AccessDenied(f"{access.kind} data is never published", kind=access.kind)
            return Scope.public_visitor()
        if access.kind in ("staff", "street_staff") and not self.is_staff:
            raise AccessDenied("staff only", kind=access.kind)
        return self.scope

    def threshold(self, view: str) -> int:
        return self.small_cell_k if view == "published" or not self.is_staff else 1

    def finish(self, result: Any, access: Access, view: str) -> Any:
        """The one place breakdowns lose their small groups, after the query."""
        if access.count and isinstance(result, pd.DataFrame):
            return suppress_groups(result, access.count, self.threshold(view), access.drop_small)
        return result

    def ask(self, function: Callable[..., Any], view: str, args: tuple, kwargs: dict, call: Callable[..., Any]) -> Any:
        """Run `function` for this audience: its scope first, `call` to execute (cached or not),
        then the small-cell suppression. (The page context adds auditing.)"""
        access = access_of(function)
        if access.scoped:
            args = (self.scope_for(access, view), *args)
        return self.finish(call(function, *args, **kwargs), access, view)

    def audits_query(self, access: Access, view: str) -> bool:
        """Staff looking at person-level data in their own view."""
        return self.audited and view == "own" and access.person_level
