"""The read-database contract: every table and column the suite reads.

Other systems (the reporting app, the grid platform, civil-affairs registers)
fill the read database; this module states what they must provide. The app
never creates or alters these tables in a live database: only the demo
generator and the importers call ``metadata.create_all``.

Times are naive UTC ``DateTime`` values; coordinates are WGS-84 degrees.
Foreign keys are declared only where the writer is expected to guarantee them;
issues may carry unknown category or grid codes (fed from outside), which the
data-quality queries count instead of trusting.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

SCHEMA_VERSION = "3"  # docs/schema.md: what changed, and how to migrate a version 1 or 2 database
ACCEPTED_VERSIONS = ("2", "3")  # a version 2 database works; the 社区E家 pages then say what it lacks

ISSUE_STATUSES = (
    "submitted",
    "accepted",
    "assigned",
    "in_progress",
    "resolved",
    "closed",
    "rejected",
    "duplicate",
)
OPEN_STATUSES = ("submitted", "accepted", "assigned", "in_progress")
DONE_STATUSES = ("resolved", "closed")
EXCLUDED_STATUSES = ("rejected", "duplicate")
CHANNELS = ("app", "wechat", "hotline", "patrol", "volunteer")

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

communities = Table(
    "communities",
    metadata,
    Column("community_id", String(32), primary_key=True),
    Column("name_zh", String(128), nullable=False),
    Column("name_en", String(128), nullable=False),
    Column("boundary_geojson", Text),
)

grids = Table(
    "grids",
    metadata,
    Column("grid_id", String(32), primary_key=True),
    Column("community_id", String(32), ForeignKey("communities.community_id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("boundary_geojson", Text),
    Column("required_patrols_per_week", Integer, nullable=False, default=1),
    # Optional (OPTIONAL_COLUMNS): its English name; where absent or empty the app writes the Chinese
    # name in pinyin (data_access/names.py).
    Column("name_en", String(128)),
)

buildings = Table(
    "buildings",
    metadata,
    Column("building_id", Integer, primary_key=True),
    Column("grid_id", String(32), ForeignKey("grids.grid_id"), nullable=False),
    Column("address", String(256), nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("floors", Integer),
    Column("households", Integer),
)

places = Table(
    "places",
    metadata,
    Column("place_id", Integer, primary_key=True),
    Column("grid_id", String(32), ForeignKey("grids.grid_id"), nullable=False),
    Column("kind", String(32), nullable=False),  # shop, facility, gate, camera
    Column("name", String(256), nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("source", String(32)),  # v2: the register it came from (NULL: entered here)
    Column("source_ref", String(128)),  # v2: its id there; unique per source
)

devices = Table(
    "devices",
    metadata,
    Column("device_id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),  # face_gate, camera
    Column("grid_id", String(32), ForeignKey("grids.grid_id"), nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("status", String(16), nullable=False),  # online, offline
    Column("last_seen_at", DateTime),  # NULL: never seen
    Column("source", String(32)),  # v2
    Column("source_ref", String(128)),  # v2
)

officers = Table(
    "officers",
    metadata,
    Column("officer_id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("role", String(32), nullable=False),  # grid_officer, community_staff, inspector
    Column("community_id", String(32), ForeignKey("communities.community_id")),
    Column("grid_id", String(32), ForeignKey("grids.grid_id")),
    Column("active", Boolean, nullable=False, default=True),
)

residents = Table(
    "residents",
    metadata,
    Column("resident_id", Integer, primary_key=True),
    Column("building_id", Integer, ForeignKey("buildings.building_id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("gender", String(1)),
    Column("birth_year", Integer),
    Column("phone", String(32)),
    Column("source", String(32)),  # v2: the register that keeps this person (civil affairs)
    Column("source_ref", String(128)),  # v2: the person's id there; unique per source
)

special_categories = Table(
    "special_categories",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name_zh", String(64), nullable=False),
    Column("name_en", String(64), nullable=False),
    Column("visit_interval_days", Integer),  # NULL: no interval set (flagged)
)

special_population = Table(
    "special_population",
    metadata,
    Column("resident_id", Integer, ForeignKey("residents.resident_id"), primary_key=True),
    Column("category_code", String(32), ForeignKey("special_categories.code"), primary_key=True),
    Column("since", DateTime, nullable=False),
    Column("until", DateTime),
    Column("risk_level", Integer, nullable=False, default=1),  # 1 low .. 3 high
)

welfare_visits = Table(
    "welfare_visits",
    metadata,
    Column("visit_id", Integer, primary_key=True),
    Column("resident_id", Integer, ForeignKey("residents.resident_id"), nullable=False),
    Column("officer_id", Integer, ForeignKey("officers.officer_id")),
    Column("visited_at", DateTime, nullable=False),
    Column("outcome", String(32)),
)

welfare_alerts = Table(
    "welfare_alerts",
    metadata,
    Column("alert_id", Integer, primary_key=True),
    Column("resident_id", Integer, ForeignKey("residents.resident_id"), nullable=False),
    Column("kind", String(32), nullable=False),  # no_checkin, meter_anomaly, fall_alarm, neighbour_report
    Column("severity", Integer, nullable=False),  # 1 low .. 3 high
    Column("raised_at", DateTime, nullable=False),
    Column("dispatched_at", DateTime),
    Column("dispatched_officer_id", Integer, ForeignKey("officers.officer_id")),
    Column("resolved_at", DateTime),
    Column("outcome", String(64)),
)

issue_categories = Table(
    "issue_categories",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name_zh", String(128), nullable=False),
    Column("name_en", String(128), nullable=False),
    Column("sla_hours", Float),  # NULL: no time limit known (imports)
    Column("department", String(128)),
    Column("department_en", String(128)),  # optional (OPTIONAL_COLUMNS): the department in English
)

issues = Table(
    "issues",
    metadata,
    Column("issue_id", Integer, primary_key=True),
    Column("source", String(32)),  # NULL for native reports; importer name otherwise
    Column("source_ref", String(128)),  # id in the source system; unique per source
    Column("reported_at", DateTime, nullable=False),
    Column("channel", String(32)),
    Column("category_code", String(64)),
    Column("title", String(256)),
    Column("description", Text),
    Column("is_public", Boolean, nullable=False, default=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("grid_id", String(32)),
    Column("community_id", String(32)),
    Column("building_id", Integer),  # the building the report is about, when there is one
    Column("reporter_kind", String(32)),  # resident, volunteer, officer, anonymous
    Column("reporter_resident_id", Integer),
    Column("status", String(32), nullable=False),
    Column("assigned_officer_id", Integer),
    Column("accepted_at", DateTime),
    Column("resolved_at", DateTime),
    Column("closed_at", DateTime),
    Column("reopened_count", Integer, nullable=False, default=0),
    Column("satisfaction", Integer),  # 1..5, NULL when not rated
    Column("source_patrol_id", Integer),  # the patrol that found this hazard
    Column("updated_at", DateTime),  # v2: when a feed last changed this row (the importer's sync sets it)
)

issue_events = Table(
    "issue_events",
    metadata,
    Column("event_id", Integer, primary_key=True),
    Column("issue_id", Integer, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("from_status", String(32)),
    Column("to_status", String(32), nullable=False),
    Column("actor_officer_id", Integer),
    Column("note", Text),
)

patrols = Table(
    "patrols",
    metadata,
    Column("patrol_id", Integer, primary_key=True),
    Column("officer_id", Integer, ForeignKey("officers.officer_id")),
    Column("grid_id", String(32), ForeignKey("grids.grid_id"), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("ended_at", DateTime),  # NULL: never closed in the app (flagged)
    Column("distance_m", Float),
    Column("hazards_found", Integer, nullable=False, default=0),
    Column("source", String(32)),  # v2: the officers' app it came from
    Column("source_ref", String(128)),  # v2
)

volunteers = Table(
    "volunteers",
    metadata,
    Column("volunteer_id", Integer, primary_key=True),
    Column("resident_id", Integer, ForeignKey("residents.resident_id")),
    Column("display_name", String(64), nullable=False),
    Column("community_id", String(32), ForeignKey("communities.community_id"), nullable=False),
    Column("joined_at", DateTime, nullable=False),
    Column("on_leaderboard", Boolean, nullable=False, default=True),
)

activities = Table(
    "activities",
    metadata,
    Column("activity_id", Integer, primary_key=True),
    Column("title", String(256), nullable=False),
    Column("title_en", String(256)),  # optional (OPTIONAL_COLUMNS): the title in English
    Column("kind", String(32), nullable=False),
    Column("community_id", String(32), ForeignKey("communities.community_id"), nullable=False),
    Column("starts_at", DateTime, nullable=False),
    Column("ends_at", DateTime, nullable=False),
    Column("points", Integer, nullable=False),
)

participations = Table(
    "participations",
    metadata,
    Column("activity_id", Integer, ForeignKey("activities.activity_id"), primary_key=True),
    Column("volunteer_id", Integer, ForeignKey("volunteers.volunteer_id"), primary_key=True),
    Column("checked_in_at", DateTime, nullable=False),
    Column("hours", Float, nullable=False),
    Column("points_awarded", Integer, nullable=False),
)

parking_shares = Table(
    "parking_shares",
    metadata,
    Column("share_id", Integer, primary_key=True),
    Column("grid_id", String(32), ForeignKey("grids.grid_id"), nullable=False),
    Column("space_ref", String(64), nullable=False),
    Column("available_from", DateTime, nullable=False),
    Column("available_to", DateTime, nullable=False),
    Column("booked_minutes", Integer, nullable=False, default=0),
    Column("owner_resident_id", Integer),  # v3: who offers the space (staff see it masked, never the public)
)

# v3: 社区E家, the street's WeChat service. Parking bookings and the requests that found no space,
# online consultations, government service applications, and hourly gate counts. A version 2
# database lacks these; the pages that read them then say so (data_access/contract.py, V3_TABLES).
PARKING_BOOKING_STATUSES = ("booked", "completed", "no_show", "cancelled", "disputed")

parking_bookings = Table(
    "parking_bookings",
    metadata,
    Column("booking_id", Integer, primary_key=True),
    Column("share_id", Integer, nullable=False),
    Column("requester_resident_id", Integer),
    Column("plate", String(16)),  # never copied, never shown
    Column("requested_at", DateTime, nullable=False),
    Column("starts_at", DateTime, nullable=False),
    Column("ends_at", DateTime, nullable=False),
    Column("status", String(16), nullable=False),  # PARKING_BOOKING_STATUSES
)

parking_unmet_requests = Table(  # a resident asked for a space near here and none was free
    "parking_unmet_requests",
    metadata,
    Column("request_id", Integer, primary_key=True),
    Column("grid_id", String(32)),
    Column("requester_resident_id", Integer),
    Column("plate", String(16)),  # never copied, never shown
    Column("requested_at", DateTime, nullable=False),
    Column("wanted_from", DateTime, nullable=False),
    Column("wanted_to", DateTime, nullable=False),
)

consultation_topics = Table(
    "consultation_topics",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name_zh", String(128), nullable=False),
    Column("name_en", String(128), nullable=False),
    Column("target_hours", Float),  # first answer expected within; NULL: no target
    Column("staff_complaint", Boolean, nullable=False, default=False),  # street officials only
)

consultations = Table(  # a question or conversation in 在线对话 / 智慧石油路, not an issue (it may become one)
    "consultations",
    metadata,
    Column("consultation_id", Integer, primary_key=True),
    Column("asked_at", DateTime, nullable=False),
    Column("channel", String(32)),  # wechat, app, hotline, counter
    Column("topic_code", String(64)),
    Column("question", Text),  # the resident's words: never copied, shown masked to staff only
    Column("resident_id", Integer),
    Column("community_id", String(32)),
    Column("grid_id", String(32)),
    Column("first_answered_at", DateTime),
    Column("closed_at", DateTime),
    Column("answering_office", String(128)),
    Column("satisfaction", Integer),  # 1..5, NULL when not rated
    Column("issue_id", Integer),  # the issue it became, if any
)

service_types = Table(
    "service_types",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name_zh", String(128), nullable=False),
    Column("name_en", String(128), nullable=False),
    Column("kind", String(32), nullable=False),  # certificate, subsidy, elderly_care, social_security, ...
    Column("target_days", Float),  # decided within; NULL: no target
)

SERVICE_CHANNELS = ("online", "counter")
SERVICE_OUTCOMES = ("approved", "refused", "withdrawn")  # NULL while pending

service_applications = Table(  # 政务办理: an application for a certificate, subsidy or service
    "service_applications",
    metadata,
    Column("application_id", Integer, primary_key=True),
    Column("service_code", String(64), nullable=False),
    Column("resident_id", Integer),
    Column("community_id", String(32)),
    Column("channel", String(16), nullable=False),  # SERVICE_CHANNELS
    Column("submitted_at", DateTime, nullable=False),
    Column("decided_at", DateTime),
    Column("outcome", String(16)),  # SERVICE_OUTCOMES; NULL while pending
    Column("returned_count", Integer, nullable=False, default=0),  # sent back for corrections
)

gate_traffic = Table(  # counts per face gate and hour, as the gate system exports them: no person, face or plate
    "gate_traffic",
    metadata,
    Column("device_id", Integer, primary_key=True),
    Column("hour_start", DateTime, primary_key=True),  # UTC, on the hour
    Column("entries", Integer, nullable=False),
    Column("exits", Integer, nullable=False),
)

# Indexes the dashboards' queries rely on (time ranges, scope filters, joins).
Index("ix_issues_reported_at", issues.c.reported_at)
Index("ix_issues_grid_reported", issues.c.grid_id, issues.c.reported_at)
Index("ix_issues_community_reported", issues.c.community_id, issues.c.reported_at)
Index("ix_issues_category", issues.c.category_code)
Index("ix_issues_status", issues.c.status)
Index("ix_issues_officer", issues.c.assigned_officer_id)
Index("ix_issues_building", issues.c.building_id)
Index("ux_issues_source_ref", issues.c.source, issues.c.source_ref, unique=True)
Index("ix_issues_updated_at", issues.c.updated_at)
Index("ux_residents_source_ref", residents.c.source, residents.c.source_ref, unique=True)
Index("ux_places_source_ref", places.c.source, places.c.source_ref, unique=True)
Index("ux_devices_source_ref", devices.c.source, devices.c.source_ref, unique=True)
Index("ux_patrols_source_ref", patrols.c.source, patrols.c.source_ref, unique=True)
Index("ix_issue_events_issue", issue_events.c.issue_id, issue_events.c.at)
Index("ix_patrols_grid_started", patrols.c.grid_id, patrols.c.started_at)
Index("ix_patrols_officer", patrols.c.officer_id)
Index("ix_buildings_grid", buildings.c.grid_id)
Index("ix_residents_building", residents.c.building_id)
Index("ix_special_population_category", special_population.c.category_code)
Index("ix_welfare_visits_resident", welfare_visits.c.resident_id, welfare_visits.c.visited_at)
Index("ix_welfare_alerts_resident", welfare_alerts.c.resident_id)
Index("ix_welfare_alerts_open", welfare_alerts.c.resolved_at)
Index("ix_participations_volunteer", participations.c.volunteer_id)
Index("ix_activities_starts", activities.c.starts_at)
Index("ix_devices_grid", devices.c.grid_id)
Index("ix_places_grid", places.c.grid_id)
Index("ix_officers_grid", officers.c.grid_id)
Index("ix_parking_bookings_share", parking_bookings.c.share_id, parking_bookings.c.starts_at)
Index("ix_parking_unmet_requested", parking_unmet_requests.c.requested_at)
Index("ix_consultations_asked", consultations.c.asked_at)
Index("ix_service_applications_submitted", service_applications.c.submitted_at)
Index("ix_gate_traffic_hour", gate_traffic.c.hour_start)

# When all of these are empty the database holds nothing to show yet. (An imported hotline export has
# issues and areas but no grids; a freshly set-up street may have grids before its first issue.)
CONTENT_TABLES = ("issues", "communities", "grids")
