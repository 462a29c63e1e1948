"""What a page needs to render: language, audience, settings, the guard, and the common lookups.

The router builds one PageContext per run; a page starts with
``ctx = page_context("page-id")``, which stops the page with a "no access"
notice (and runs none of its queries) unless the audience may open it. Every
query, audit entry and download of the page goes through the context, which
asks the audience (app/audience.py) what this visitor may see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import pandas as pd
import streamlit as st

from app import audit, registry, state
from app.audience import Audience
from app.data import query, zone_for
from app.formatting import name_of
from app.i18n import translate
from app.roles import User
from app.settings import Problem, Settings
from app.startup import AuthConfig
from data_access.access import access_of
from data_access.localtime import Zone
from data_access.names import english_name
from data_access.reference import category_list, community_list, data_as_of, grid_list


@dataclass(frozen=True)
class PageContext:
    lang: str
    audience: Audience
    settings: Settings
    page_id: str = ""
    pages: dict[str, Any] = field(default_factory=dict)  # page id -> st.Page, for links
    auth: AuthConfig | None = None  # None: staff sign-in is unavailable (see problems)
    problems: tuple[Problem, ...] = ()  # configuration problems (administrators see them)

    def t(self, key: str, **params: object) -> str:
        return translate(self.lang, key, **params)

    def label(self, prefix: str, code: object) -> str:
        """The catalogue text for a code (status, channel, ...), or a dash when the code is missing."""
        from app.formatting import MISSING

        name = name_of({}, code)
        return MISSING if name == MISSING else self.t(prefix + name)

    @property
    def user(self) -> User | None:
        return self.audience.user

    @property
    def role(self) -> str:
        return self.audience.role

    @property
    def url(self) -> str:
        return str(self.settings.database_url)

    # Data. ---------------------------------------------------------------------------------------

    def query(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The visitor's own view: staff their scope, the public the street's aggregates."""
        return self._ask("own", function, args, kwargs)

    def published(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The street's published figures: the same for every visitor, small groups hidden."""
        return self._ask("published", function, args, kwargs)

    def _ask(self, view: str, function: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        def cached(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            result = query(function, self.url, *args, **kwargs)
            if self.audience.audits_query(access_of(function), view):
                event = "reveal" if kwargs.get("reveal") else "view"
                rows = len(result) if isinstance(result, pd.DataFrame | list) else (0 if result is None else 1)
                self.audit(event, audit.describe(function, args, kwargs), rows=rows, once=True)
            return result

        return self.audience.ask(function, view, args, kwargs, cached)

    @cached_property
    def as_of(self) -> datetime:
        """The data's "now": when the read database was last filled, else the wall clock (naive UTC)."""
        return self.query(data_as_of) or datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    @cached_property
    def zone(self) -> Zone:
        """The street's time zone: every local day, week and month of the page is in it."""
        return zone_for(self.url)

    @property
    def name_column(self) -> str:
        """The column of bilingual lookup tables in the page's language."""
        return "name_zh" if self.lang == "zh" else "name_en"

    @cached_property
    def category_names(self) -> dict[str, str]:
        categories = self.query(category_list)
        return dict(zip(categories["code"], categories[self.name_column], strict=True))

    @cached_property
    def community_names(self) -> dict[str, str]:
        communities = self.query(community_list)
        return dict(zip(communities["community_id"], communities[self.name_column], strict=True))

    def category_name(self, code: object) -> str:
        """A category's name; "Unknown category" for a code the category table does not hold (Data
        health lists those codes for the administrator)."""
        return name_of(self.category_names, code, self.t("names.unknown_category"))

    def department_name(self, department: object) -> str:
        """A department (named in Chinese in the data) in the page's language; "no department on
        record" (未登记部门) when the category names none (the 考核 page says how many issues that is)."""
        if department is None or department != department or not str(department).strip():
            return self.t("performance.no_department")
        if self.lang == "zh":
            return str(department)
        return self._departments_en.get(department) or english_name(str(department))

    @cached_property
    def _departments_en(self) -> dict[str, str]:
        categories = self.query(category_list)
        return dict(zip(categories["department"], categories["department_en"], strict=True))

    def community_name(self, code: object) -> str:
        return name_of(self.community_names, code, self.t("names.unknown_community"))

    def grid_name(self, code: object) -> str:
        return name_of(self.grid_names, code, self.t("names.unknown_grid"))

    @cached_property
    def grid_names(self) -> dict[str, str]:
        """Grids the visitor's own view covers (everyone's for the public)."""
        grids = self.query(grid_list)
        return dict(zip(grids["grid_id"], grids["name" if self.lang == "zh" else "name_en"], strict=True))

    # Actions. ------------------------------------------------------------------------------------

    def audit(
        self,
        event: str,
        details: dict[str, Any] | None = None,
        rows: int | None = None,
        success: bool = True,
        once: bool = False,
    ) -> None:
        """Write an audit entry when the audience is audited; `once`: not again for the same entry
        in this session (a rerun shows the same view, it is not a new one)."""
        if not self.audience.audited:
            return
        if once and not state.first_time((event, self.page_id, audit.fingerprint(details))):
            return
        audit.record(
            self.settings.audit_log_path,
            user=self.user.username if self.user else None,
            role=self.role,
            event=event,
            page=self.page_id,
            filters=details,
            rows=rows,
            success=success,
        )

    def link(
        self, page_id: str, label: str | None = None, icon: str | None = None, params: dict[str, str] | None = None
    ) -> None:
        """A link to another page that keeps the language; `params` open it on a filtered list (the
        page validates them and its data layer applies the visitor's scope, so a shared link shows a
        colleague with the same rights the same list, and nobody more than their own)."""
        spec = registry.by_id(page_id)
        st.page_link(
            self.pages[page_id],
            label=label or self.t(spec.title_key),
            icon=icon or spec.icon,
            query_params=lang_params(self.lang) | (params or {}),
        )


def set_context(ctx: PageContext) -> None:
    state.set_page_context(ctx)


def page_context(page_id: str) -> PageContext:
    ctx = state.page_context()
    if not isinstance(ctx, PageContext):
        st.error(translate("zh", "error.no_router"))
        st.stop()
    ctx = replace(ctx, page_id=page_id)
    spec = registry.by_id(page_id)
    if not ctx.audience.may_open(spec):
        no_access(ctx, spec)
        st.stop()
    return ctx


def no_access(ctx: PageContext, spec: registry.PageSpec) -> None:
    st.title(ctx.t(spec.title_key))
    st.warning(ctx.t("access.denied"), icon=":material/lock:")
    if ctx.user is None and "login" in ctx.pages:
        ctx.link("login", label=ctx.t("access.login_hint"))


def lang_params(lang: str) -> dict[str, str]:
    """Query parameters that keep the language when following a link."""
    return {"lang": lang}
