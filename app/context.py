"""What a page needs to render: language, user, scope, settings, and the guard.

The router builds one PageContext per run; a page starts with
``ctx = page_context("page-id")``, which stops the page with a "no access"
notice (and runs none of its queries) unless the user's role may see it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from app import audit, registry
from app.data import query
from app.i18n import translate
from app.roles import User, role_of
from data_access.scope import Scope

CONTEXT_KEY = "_page_context"


@dataclass(frozen=True)
class PageContext:
    lang: str
    user: User | None
    settings: dict[str, Any]
    page_id: str = ""
    pages: dict[str, Any] = field(default_factory=dict)  # page id -> st.Page, for links

    def t(self, key: str, **params: object) -> str:
        return translate(self.lang, key, **params)

    def label(self, prefix: str, code: object) -> str:
        """The catalogue text for a code (status, channel, ...), or a dash when the code is missing."""
        from app.formatting import MISSING, name_of

        name = name_of({}, code)
        return MISSING if name == MISSING else self.t(prefix + name)

    @property
    def role(self) -> str:
        return role_of(self.user)

    @property
    def scope(self) -> Scope:
        """The caller's scope; anonymous visitors get none (public pages ask only for aggregates)."""
        return self.user.scope if self.user else Scope.grids()

    @property
    def url(self) -> str:
        return self.settings["database_url"]

    def query(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return query(function, self.url, *args, **kwargs)

    def link(self, page_id: str, label: str | None = None, icon: str | None = None) -> None:
        """A link to another page that keeps the language."""
        spec = registry.by_id(page_id)
        st.page_link(
            self.pages[page_id],
            label=label or self.t(spec.title_key),
            icon=icon or spec.icon,
            query_params=lang_params(self.lang),
        )

    def audit(
        self, event: str, filters: dict[str, Any] | None = None, rows: int | None = None, success: bool = True
    ) -> None:
        audit.record(
            self.settings["audit_log_path"],
            user=self.user.username if self.user else None,
            role=self.role,
            event=event,
            page=self.page_id,
            filters=filters,
            rows=rows,
            success=success,
        )


def set_context(ctx: PageContext) -> None:
    st.session_state[CONTEXT_KEY] = ctx


def page_context(page_id: str) -> PageContext:
    ctx = st.session_state.get(CONTEXT_KEY)
    if not isinstance(ctx, PageContext):
        st.error("Open the app through its entry point: ./run.sh")
        st.stop()
    ctx = replace(ctx, page_id=page_id)
    spec = registry.by_id(page_id)
    if not registry.allowed(spec, ctx.role):
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
