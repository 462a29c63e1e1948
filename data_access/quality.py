"""Data-quality counts: impossible or incomplete rows, named and counted, never hidden."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.engine import Engine

from data_access.access import declare
from data_access.geometry import bounds_of, ring_of
from data_access.population import residents_in_scope
from data_access.schema import (
    DONE_STATUSES,
    ISSUE_STATUSES,
    devices,
    grids,
    issue_categories,
    issues,
    patrols,
    special_categories,
    welfare_alerts,
)
from data_access.scope import Scope


@declare("public")
def area_bounds(engine: Engine) -> tuple[float, float, float, float] | None:
    """(min_lat, min_lon, max_lat, max_lon) of all grid polygons; without polygons, of all issue
    coordinates; None when there is neither."""
    with engine.connect() as conn:
        shapes = conn.execute(select(grids.c.boundary_geojson).where(grids.c.boundary_geojson.is_not(None))).scalars()
        bounds = bounds_of(ring_of(shape) for shape in shapes)
    if bounds is not None:
        return bounds
    # No grid polygons (an imported export): the extent of the issues' own coordinates.
    with engine.connect() as conn:
        row = conn.execute(
            select(
                func.min(issues.c.lat), func.min(issues.c.lon), func.max(issues.c.lat), func.max(issues.c.lon)
            ).where(issues.c.lat.is_not(None))
        ).one()
    return None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


@declare("street_staff")
def issue_quality(engine: Engine, scope: Scope) -> pd.DataFrame:
    """One row per check: how many issues in scope fail it."""
    known_category = select(issue_categories.c.code).scalar_subquery()
    known_grid = select(grids.c.grid_id).scalar_subquery()
    checks = {
        "resolved_before_reported": issues.c.resolved_at < issues.c.reported_at,
        "closed_before_reported": issues.c.closed_at < issues.c.reported_at,
        "done_without_resolved_time": and_(
            issues.c.status.in_(DONE_STATUSES), issues.c.resolved_at.is_(None), issues.c.closed_at.is_(None)
        ),
        "unknown_status": issues.c.status.not_in(ISSUE_STATUSES),
        "unknown_category": or_(issues.c.category_code.is_(None), issues.c.category_code.not_in(known_category)),
        "missing_location": or_(issues.c.lat.is_(None), issues.c.lon.is_(None)),
        "missing_area": and_(issues.c.grid_id.is_(None), issues.c.community_id.is_(None)),
        "unknown_grid": and_(issues.c.grid_id.is_not(None), issues.c.grid_id.not_in(known_grid)),
        "satisfaction_out_of_range": and_(
            issues.c.satisfaction.is_not(None), not_(issues.c.satisfaction.between(1, 5))
        ),
        "missing_channel": issues.c.channel.is_(None),
    }
    bounds = area_bounds(engine)
    if bounds:
        min_lat, min_lon, max_lat, max_lon = bounds
        margin = 0.01  # about 1 km
        checks["outside_area"] = and_(
            issues.c.lat.is_not(None),
            or_(
                issues.c.lat < min_lat - margin,
                issues.c.lat > max_lat + margin,
                issues.c.lon < min_lon - margin,
                issues.c.lon > max_lon + margin,
            ),
        )
    columns = [func.sum(case((cond, 1), else_=0)).label(name) for name, cond in checks.items()]
    query = select(func.count().label("total"), *columns).where(scope.on_issue(issues))
    with engine.connect() as conn:
        row = conn.execute(query).mappings().one()
    total = int(row["total"] or 0)
    return pd.DataFrame({"check": list(checks), "count": [int(row[name] or 0) for name in checks], "of": total})


@declare("street_staff")
def care_quality(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Gaps the care and patrol pages flag: no visit interval, undispatched alerts, open patrols, silent devices."""
    in_scope = residents_in_scope(scope)
    queries = {
        "category_without_interval": select(func.count())
        .select_from(special_categories)
        .where(special_categories.c.visit_interval_days.is_(None)),
        "alert_never_dispatched": select(func.count())
        .select_from(welfare_alerts)
        .where(welfare_alerts.c.dispatched_at.is_(None), welfare_alerts.c.resident_id.in_(in_scope)),
        "patrol_without_end": select(func.count())
        .select_from(patrols)
        .where(patrols.c.ended_at.is_(None), scope.on_grid(patrols.c.grid_id)),
        "device_never_seen": select(func.count())
        .select_from(devices)
        .where(devices.c.last_seen_at.is_(None), scope.on_grid(devices.c.grid_id)),
    }
    with engine.connect() as conn:
        counts = {name: int(conn.execute(query).scalar() or 0) for name, query in queries.items()}
    return pd.DataFrame({"check": list(counts), "count": list(counts.values())})
