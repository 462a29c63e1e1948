"""Compare a live database with the read-DB contract before any page queries it.

A database from another application, an older schema or an empty one is named
precisely here ("table issues lacks column satisfaction") instead of surfacing
later as a SQL error on some page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine

from data_access.engine import check_reachable
from data_access.errors import EmptyDatabase, SchemaMismatch
from data_access.schema import ACCEPTED_VERSIONS, CONTENT_TABLES, SCHEMA_VERSION, meta, metadata

# What contract version 2 added to version 1 (docs/schema.md, "From version 1").
V2_COLUMNS = (
    "places.source",
    "places.source_ref",
    "devices.source",
    "devices.source_ref",
    "residents.source",
    "residents.source_ref",
    "issues.updated_at",
    "patrols.source",
    "patrols.source_ref",
)


# What contract version 3 added (docs/schema.md, "Version 3"): 社区E家. A version 2 database lacks them
# and still works; the 社区E家 pages then name what is missing (`lacks_ehome`).
V3_TABLES = (
    "parking_bookings",
    "parking_unmet_requests",
    "consultation_topics",
    "consultations",
    "service_types",
    "service_applications",
    "gate_traffic",
)
V3_COLUMNS = ("parking_shares.owner_resident_id",)


# Columns a database may lack: the app reads them when present and falls back without them.
OPTIONAL_COLUMNS = ("grids.name_en", "issue_categories.department_en", "activities.title_en")


def present_columns(engine: Engine, table: str) -> frozenset[str]:
    """The columns `table` really has (of the read database behind an analytical copy), asked of the
    catalogue once per engine and table."""
    engine = getattr(engine, "row_engine", engine)
    cache = engine.__dict__.setdefault("_syl_present_columns", {})
    if table not in cache:
        cache[table] = frozenset(column["name"] for column in inspect(engine).get_columns(table))
    return cache[table]


def has_column(engine: Engine, qualified: str) -> bool:
    table, column = qualified.split(".")
    return column in present_columns(engine, table)


@dataclass(frozen=True)
class ContractReport:
    missing_tables: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()  # "table.column"
    schema_version: str | None = None
    empty_tables: tuple[str, ...] = field(default=())
    missing_optional: tuple[str, ...] = ()  # OPTIONAL_COLUMNS the database lacks (shown on Data health)
    missing_v3: tuple[str, ...] = ()  # V3_TABLES and V3_COLUMNS a version 2 database lacks

    @property
    def matches(self) -> bool:
        return not self.missing_tables and not self.missing_columns


def check_contract(engine: Engine) -> ContractReport:
    """What the database lacks against the contract; reads only the catalogue and meta."""
    engine = getattr(engine, "row_engine", engine)  # behind the analytical copy: the read database itself
    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    missing_tables = tuple(name for name in metadata.tables if name not in present)
    missing_v3 = tuple(name for name in missing_tables if name in V3_TABLES)
    missing_tables = tuple(name for name in missing_tables if name not in V3_TABLES)
    missing_columns: list[str] = []
    for name, table in metadata.tables.items():
        if name not in present:
            continue
        have = {col["name"] for col in inspector.get_columns(name)}
        missing_columns += [f"{name}.{col.name}" for col in table.columns if col.name not in have]
    optional = tuple(c for c in missing_columns if c in OPTIONAL_COLUMNS)
    missing_v3 += tuple(c for c in missing_columns if c in V3_COLUMNS)
    missing_columns = [c for c in missing_columns if c not in OPTIONAL_COLUMNS and c not in V3_COLUMNS]
    version = None
    empty: list[str] = []
    if not missing_tables and not missing_columns:
        with engine.connect() as conn:
            version = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
            for name in CONTENT_TABLES:
                table = metadata.tables[name]
                if conn.execute(select(func.count()).select_from(table).limit(1)).scalar() == 0:
                    empty.append(name)
    return ContractReport(tuple(missing_tables), tuple(missing_columns), version, tuple(empty), optional, missing_v3)


def ensure_usable(engine: Engine) -> ContractReport:
    """Raise the typed error a page should show, or return the passing report."""
    check_reachable(engine)
    report = check_contract(engine)
    if len(report.missing_tables) + len(report.missing_v3) >= len(metadata.tables):
        raise SchemaMismatch(
            "This database holds none of the suite's tables: is it the right database?",
            missing=", ".join((report.missing_tables + report.missing_v3)[:5]) + " ...",
        )
    if report.missing_columns and set(report.missing_columns) <= set(V2_COLUMNS) and not report.missing_tables:
        raise SchemaMismatch(
            "The database follows contract version 1; version 2 adds " + ", ".join(report.missing_columns)
            + " (docs/schema.md, 'From version 1': a few ALTER TABLEs, or run the importer once, which migrates)",
            missing=", ".join(report.missing_columns) + " (contract version 2; docs/schema.md, 'From version 1')",
        )
    if not report.matches:
        missing = list(report.missing_tables) + list(report.missing_columns)
        raise SchemaMismatch(
            "The database does not match the read-DB contract; missing: " + ", ".join(missing),
            missing=", ".join(missing),
        )
    if len(report.empty_tables) == len(CONTENT_TABLES):
        raise EmptyDatabase(
            "The database has the right tables but no data in: " + ", ".join(report.empty_tables),
            tables=", ".join(report.empty_tables),
        )
    if report.schema_version not in ACCEPTED_VERSIONS:
        raise SchemaMismatch(
            f"Schema version {report.schema_version!r} found, {SCHEMA_VERSION!r} expected (or 2)",
            missing=f"meta.schema_version = {SCHEMA_VERSION}",
        )
    return report


def lacks_ehome(engine: Engine) -> tuple[str, ...]:
    """The 社区E家 tables and columns (contract version 3) this database lacks; () when it has them all.
    Asked of the catalogue once per engine."""
    engine = getattr(engine, "row_engine", engine)
    cache = engine.__dict__.setdefault("_syl_lacks_ehome", [])
    if not cache:
        present = set(inspect(engine).get_table_names())
        missing = [name for name in V3_TABLES if name not in present]
        missing += [c for c in V3_COLUMNS if c.split(".")[0] in present and not has_column(engine, c)]
        cache.append(tuple(missing))
    return cache[0]
