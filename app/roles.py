"""The roles and the signed-in user. What each role may see is decided in app/audience.py."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("grid_officer", "community_staff", "street_official", "admin")
PUBLIC = "public"  # anonymous visitors


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str
    community_id: str | None = None
    grid_ids: tuple[str, ...] = ()
