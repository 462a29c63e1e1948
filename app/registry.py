"""Every page of the suite, the roles that may open it, and where it sits in the menu.

The audience (app/audience.py) answers "may this visitor open it?" from these
roles. The router gives each visitor the real page only where it may; at every
other URL it mounts a "no access" page, so a page reached by URL without the
right role runs none of its code. Each page checks again itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.roles import PUBLIC, ROLES

STAFF = frozenset(ROLES)
EVERYONE = frozenset((PUBLIC, *ROLES))
SECTIONS = ("public", "staff", "admin", "account")


@dataclass(frozen=True)
class PageSpec:
    id: str  # URL path and file stem (pages/<id>.py); also the page name in the audit log
    title_key: str
    icon: str
    roles: frozenset[str]
    section: str
    needs_database: bool = True  # False: works without the read database (big screen, login, audit log)
    # The URL queries a fresh app process opens once before its first visitor (app/warm_start.py):
    # the page as it opens, and each part of it that reads data of its own.
    views: tuple[str, ...] = ("",)

    @property
    def path(self) -> str:
        """The page's module, relative to the project root."""
        return f"pages/{self.id}.py"


EHOME_TABS = ("parking", "dialogue", "services", "needs", "gates")  # 社区E家's parts (?tab=), the first by default

PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "page.overview", ":material/dashboard:", EVERYONE, "public"),
    PageSpec("issue_map", "page.issue_map", ":material/map:", EVERYONE, "public"),
    PageSpec("transparency", "page.transparency", ":material/fact_check:", EVERYONE, "public"),
    PageSpec("volunteers", "page.volunteers", ":material/volunteer_activism:", EVERYONE, "public"),
    PageSpec(
        "ehome", "page.ehome", ":material/forum:", EVERYONE, "public", views=("", *(f"tab={t}" for t in EHOME_TABS[1:]))
    ),
    PageSpec("big_screen", "page.big_screen", ":material/tv:", EVERYONE, "public", needs_database=False),
    PageSpec("patrols", "page.patrols", ":material/directions_walk:", STAFF, "staff"),
    PageSpec("grid", "page.grid", ":material/grid_view:", STAFF, "staff"),
    PageSpec("watchlist", "page.watchlist", ":material/favorite:", STAFF, "staff"),
    PageSpec(
        "performance", "page.performance", ":material/leaderboard:", frozenset({"street_official", "admin"}), "staff"
    ),
    PageSpec("audit_log", "page.audit", ":material/policy:", frozenset({"admin"}), "admin", needs_database=False),
    PageSpec(
        "data_health",
        "page.data_health",
        ":material/monitor_heart:",
        frozenset({"admin"}),
        "admin",
    ),
    PageSpec("login", "page.login", ":material/login:", EVERYONE, "account", needs_database=False),
)


def by_id(page_id: str) -> PageSpec:
    for spec in PAGES:
        if spec.id == page_id:
            return spec
    raise KeyError(page_id)


def by_url_path(url_path: str) -> PageSpec:
    """The spec of the page st.navigation chose (the default page has an empty URL path)."""
    return by_id(url_path or "overview")
