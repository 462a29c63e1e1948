"""Roles and what each may see; a user's Scope comes from here, never from page input."""

from __future__ import annotations

from dataclasses import dataclass

from data_access.scope import Scope

ROLES = ("grid_officer", "community_staff", "street_official", "admin")
PUBLIC = "public"  # anonymous visitors


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str
    community_id: str | None = None
    grid_ids: tuple[str, ...] = ()

    @property
    def scope(self) -> Scope:
        if self.role in ("street_official", "admin"):
            return Scope.street()
        if self.role == "community_staff":
            return Scope.community(self.community_id or "")
        return Scope.grids(*self.grid_ids)


def role_of(user: User | None) -> str:
    return user.role if user else PUBLIC
