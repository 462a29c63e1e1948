"""Typed failures of the read database, each with a catalogue key.

The app turns these into a friendly page in the user's language; scripts print
``str(error)``. ``key`` names the message in app/i18n catalogues and ``params``
fills it, so no translated text lives in the data layer.
"""

from __future__ import annotations


class DataAccessError(Exception):
    """Base class: something about the read database stops a page."""

    key = "error.database"

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.params = params


class DatabaseMissing(DataAccessError):
    key = "error.db_missing"


class DatabaseUnreachable(DataAccessError):
    key = "error.db_unreachable"


class DatabaseCorrupt(DataAccessError):
    key = "error.db_corrupt"


class SchemaMismatch(DataAccessError):
    key = "error.schema_mismatch"


class EmptyDatabase(DataAccessError):
    key = "error.db_empty"


class UnsupportedDatabase(DataAccessError):
    key = "error.db_unsupported"


class AccessDenied(DataAccessError):
    """A caller asked for data its scope does not allow (a programming error or a forged request)."""

    key = "access.denied"
