"""Read and check the staff users file (the web process never writes it).

Format (streamlit-authenticator's credentials layout plus our scope keys):

    credentials:
      usernames:
        zhang:
          name: 张三
          password: $2b$12$...        # bcrypt hash only; plain text is refused
          roles: [community_staff]   # exactly one of app.roles.ROLES
          community_id: C01          # community_staff
          grid_ids: [C01-G1]         # grid_officer
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.roles import ROLES, User

BCRYPT = re.compile(r"^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$")


class UsersFileError(Exception):
    """The users file cannot be used; `key` names the catalogue message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(f"{key}: {params}")
        self.key = key
        self.params = params


@dataclass(frozen=True)
class UsersFile:
    users: dict[str, User]
    credentials: dict[str, Any] = field(repr=False)  # for streamlit-authenticator (deep-copied per use)

    def credentials_copy(self) -> dict[str, Any]:
        return copy.deepcopy(self.credentials)


def load_users(path: str | Path) -> UsersFile:
    path = Path(path)
    if not path.exists():
        raise UsersFileError("startup.users_missing", path=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UsersFileError("startup.users_unreadable", path=str(path), reason=str(exc).splitlines()[0]) from exc
    entries = (data or {}).get("credentials", {}).get("usernames") if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise UsersFileError("startup.users_empty", path=str(path))
    users: dict[str, User] = {}
    for raw_name, entry in entries.items():
        username = str(raw_name).strip().lower()
        users[username] = _user(username, entry if isinstance(entry, dict) else {})
    credentials = {"usernames": {u: dict(entries[k]) for u, k in zip(users, entries, strict=True)}}
    return UsersFile(users=users, credentials=credentials)


def _user(username: str, entry: dict[str, Any]) -> User:
    password = str(entry.get("password", ""))
    if not BCRYPT.match(password):
        raise UsersFileError("startup.users_plain_password", user=username)
    roles = entry.get("roles") or []
    if isinstance(roles, str):
        roles = [roles]
    if len(roles) != 1 or roles[0] not in ROLES:
        raise UsersFileError("startup.users_bad_role", user=username, roles=", ".join(map(str, roles)) or "-")
    role = roles[0]
    community_id = entry.get("community_id")
    grid_ids = tuple(str(g) for g in entry.get("grid_ids") or ())
    if role == "community_staff" and not community_id:
        raise UsersFileError("startup.users_no_scope", user=username, role=role)
    if role == "grid_officer" and not grid_ids:
        raise UsersFileError("startup.users_no_scope", user=username, role=role)
    return User(
        username=username,
        name=str(entry.get("name") or username),
        role=role,
        community_id=str(community_id) if community_id else None,
        grid_ids=grid_ids,
    )
