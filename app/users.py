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
    hashes: dict[str, str] = field(repr=False)  # username -> bcrypt hash


MAX_USERNAME = 64
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")


def load_users(path: str | Path) -> UsersFile:
    """Every user of the file, checked; any fault raises a UsersFileError naming it (never a crash)."""
    path = Path(path)
    if not path.exists():
        raise UsersFileError("startup.users_missing", path=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsersFileError("startup.users_unreadable", path=str(path), reason=str(exc).splitlines()[0]) from exc
    credentials = data.get("credentials") if isinstance(data, dict) else None
    entries = credentials.get("usernames") if isinstance(credentials, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise UsersFileError("startup.users_empty", path=str(path))
    users: dict[str, User] = {}
    for raw_name, entry in entries.items():
        username = str(raw_name).strip().lower()
        if not USERNAME.match(username):
            raise UsersFileError("startup.users_bad_name", user=str(raw_name)[:MAX_USERNAME], max=MAX_USERNAME)
        if not isinstance(entry, dict):
            raise UsersFileError("startup.users_bad_entry", user=username)
        users[username] = _user(username, entry)
    return UsersFile(users=users, hashes={name: str(entries[raw]["password"]) for name, raw in zip(users, entries)})


def _user(username: str, entry: dict[str, Any]) -> User:
    password = entry.get("password")
    if not isinstance(password, str) or not BCRYPT.match(password):
        raise UsersFileError("startup.users_plain_password", user=username)
    roles = entry.get("roles") or []
    if isinstance(roles, str):
        roles = [roles]
    if not isinstance(roles, list) or len(roles) != 1 or roles[0] not in ROLES:
        shown = ", ".join(map(str, roles)) if isinstance(roles, list) else str(roles)
        raise UsersFileError("startup.users_bad_role", user=username, roles=shown[:80] or "-")
    role = roles[0]
    community_id = entry.get("community_id")
    grid_ids = entry.get("grid_ids") or []
    if isinstance(grid_ids, str):
        grid_ids = [grid_ids]
    valid_community = community_id is None or isinstance(community_id, str | int)
    if not valid_community or not isinstance(grid_ids, list) or not all(isinstance(g, str | int) for g in grid_ids):
        raise UsersFileError("startup.users_bad_scope", user=username)
    if role == "community_staff" and not community_id:
        raise UsersFileError("startup.users_no_scope", user=username, role=role)
    if role == "grid_officer" and not grid_ids:
        raise UsersFileError("startup.users_no_scope", user=username, role=role)
    name = entry.get("name")
    return User(
        username=username,
        name=str(name)[:80] if isinstance(name, str | int) and str(name).strip() else username,
        role=role,
        community_id=str(community_id) if community_id else None,
        grid_ids=tuple(str(g) for g in grid_ids),
    )


def main(argv: list[str] | None = None) -> int:
    """Administer staff users from the shell:

    python -m app.users hash             print a bcrypt hash of a password typed at the prompt
    python -m app.users check [FILE]     check a users file (default: the configured one)
    python -m app.users signout USER     end every session of USER now, in every app process
    """
    import argparse
    import getpass
    import sys

    import streamlit_authenticator as stauth

    from app.settings import load_settings
    from app.tokens import SignOuts

    parser = argparse.ArgumentParser(
        prog="python -m app.users", description=main.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("hash", help="print a bcrypt hash of a password typed at the prompt")
    check = commands.add_parser("check", help="check a users file")
    check.add_argument("file", nargs="?")
    signout = commands.add_parser("signout", help="end every session of a user now")
    signout.add_argument("user")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.command == "hash":
        print(stauth.Hasher.hash(getpass.getpass("Password: ")))
        return 0
    if args.command == "check":
        try:
            users = load_users(args.file or settings.users_file).users
        except UsersFileError as exc:
            print(f"{exc.key}: {exc.params}", file=sys.stderr)
            return 1
        for user in users.values():
            print(f"{user.username}\t{user.role}\t{user.community_id or ','.join(user.grid_ids) or 'street'}")
        return 0
    SignOuts(Path(settings.audit_log_path).parent / "sign_outs.jsonl").add(args.user.strip().lower())
    print(f"{args.user}: every session and login cookie issued until now is void")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
