"""Every page of the suite, who may open it, and where it sits in the menu.

The router gives each visitor the real page only where ``allowed`` says so;
at every other URL it mounts a "no access" page, so a page reached by URL
without the right role runs none of its code. Each page checks again itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.roles import PUBLIC, ROLES

STAFF = frozenset(ROLES)
EVERYONE = frozenset((PUBLIC, *ROLES))
SECTIONS = ("public", "staff", "admin", "account")


@dataclass(frozen=True)
class PageSpec:
    id: str  # URL path, also the audit log's page name
    path: str  # module file, relative to the project root
    title_key: str
    icon: str
    roles: frozenset[str]
    section: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "pages/overview.py", "page.overview", ":material/dashboard:", EVERYONE, "public"),
    PageSpec("audit-log", "pages/admin_audit.py", "page.audit", ":material/policy:", frozenset({"admin"}), "admin"),
    PageSpec(
        "data-health",
        "pages/admin_data_health.py",
        "page.data_health",
        ":material/monitor_heart:",
        frozenset({"admin"}),
        "admin",
    ),
    PageSpec("login", "pages/login.py", "page.login", ":material/login:", EVERYONE, "account"),
)


def by_id(page_id: str) -> PageSpec:
    for spec in PAGES:
        if spec.id == page_id:
            return spec
    raise KeyError(page_id)


def allowed(spec: PageSpec, role: str) -> bool:
    return role in spec.roles


def menu(role: str) -> list[PageSpec]:
    return [spec for spec in PAGES if allowed(spec, role)]
