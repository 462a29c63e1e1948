"""Who may ask each query function, declared on the function and enforced when it runs.

Every data_access function a page calls carries one declaration:

- ``public``: public by design (lookup tables, freshness, the volunteer board of display names
  that volunteers chose to show); anyone; no scope.
- ``anyone``: figures and anonymous listings; anyone. Staff get their scope; the public gets
  ``Scope.public()`` (the whole street, aggregates only, small groups suppressed by the app).
- ``staff``: rows about people or single cases; signed-in staff only, within their scope.
- ``street_staff``: staff performance and data quality; staff whose scope is the whole street.

``staff_rows``: an ``anyone`` function whose answer to staff holds person-level rows (the issue
table with descriptions and locations): staff views of it are audited like ``staff`` ones.

``count`` names the column a breakdown counts: the app hides groups below its small-cell
threshold after the query (app/audience.py, the one place that decides it); ``drop_small``
removes such groups altogether (map cells: a cell of two reports would place them).

The declaration is enforced here, in the data layer, whoever calls: a ``staff`` function given
the public scope, a ``street_staff`` function given a smaller scope, or a ``reveal`` asked without
the right raises AccessDenied before any SQL runs.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from data_access.errors import AccessDenied
from data_access.scope import Scope

KINDS = ("public", "anyone", "staff", "street_staff")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Access:
    kind: str
    count: str | None = None  # breakdowns: the counted column, suppressed below the audience's k
    drop_small: bool = False  # suppressed groups are removed, not shown as "<k"
    staff_rows: bool = False  # staff get rows about people or single cases from it

    @property
    def person_level(self) -> bool:
        """Whether a staff member's answer holds person-level rows (what the audit log records)."""
        return self.kind in ("staff", "street_staff") or self.staff_rows

    @property
    def scoped(self) -> bool:
        """Whether the function takes the caller's Scope (its first parameter after the engine)."""
        return self.kind != "public"


def declare(
    kind: str, count: str | None = None, drop_small: bool = False, staff_rows: bool = False
) -> Callable[[F], F]:
    """Mark a query function with who may ask it, and check that on every call."""
    if kind not in KINDS:
        raise ValueError(f"unknown access kind {kind!r}")
    access = Access(kind, count, drop_small, staff_rows)

    def mark(function: F) -> F:
        signature = inspect.signature(function)
        names = list(signature.parameters)
        if access.scoped and names[1:2] != ["scope"]:
            raise TypeError(f"{function.__name__}: a scoped query takes (engine, scope, ...)")

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if access.scoped:
                bound = signature.bind(*args, **kwargs)
                check(access, bound.arguments["scope"], bool(bound.arguments.get("reveal", False)), function.__name__)
            return function(*args, **kwargs)

        checked.__access__ = access  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return mark


def check(access: Access, scope: object, reveal: bool, name: str) -> None:
    if not isinstance(scope, Scope):
        raise AccessDenied(f"{name}: no scope given", function=name)
    if access.kind in ("staff", "street_staff") and scope.public:
        raise AccessDenied(f"{name}: staff only", function=name)
    if access.kind == "street_staff" and scope.kind != "street":
        raise AccessDenied(f"{name}: needs the whole street's scope", function=name)
    if reveal and not scope.may_reveal:
        raise AccessDenied(f"{name}: this scope may not reveal personal data", function=name)


def access_of(function: Callable[..., Any]) -> Access:
    """The declaration of a query function; undeclared functions cannot be asked by pages."""
    access = getattr(function, "__access__", None)
    if not isinstance(access, Access):
        raise TypeError(f"{getattr(function, '__name__', function)!r} has no access declaration")
    return access
