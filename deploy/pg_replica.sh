#!/usr/bin/env bash
# The read database as a streaming replica: a PostgreSQL primary that the feed writes and a
# hot-standby replica that the dashboards read, as two local clusters of Debian's PostgreSQL.
#
#   sudo deploy/pg_replica.sh up   [--primary-port 5433] [--replica-port 5434] [--database street]
#   sudo deploy/pg_replica.sh status
#   sudo deploy/pg_replica.sh down
#
# `up` creates (or reuses) cluster `dash_primary` and cluster `dash_replica`:
#   - the primary keeps WAL for the replica in a replication slot, so a replica that was away
#     catches up instead of needing a new base backup;
#   - roles: `feed_writer` owns the database (the importer and the generator write as it),
#     `dashboard_reader` may only SELECT, its sessions are read-only and time out after 15 s,
#     `replicator` may only stream WAL; each gets a random password;
#   - the replica is a base backup of the primary (pg_basebackup -R) that streams from it, hot
#     standby on, with hot_standby_feedback so the analytical copy's reads are not cancelled by
#     the primary's vacuum.
# It writes the two addresses to deploy/pg-replica.env (mode 600, not in git):
#   FEED_DATABASE_URL   the primary, as feed_writer   (fixtures.importer / fixtures.generate --db)
#   DATABASE_URL        the replica, as dashboard_reader (the app: `set -a; . deploy/pg-replica.env`)
# Run as root (it acts as the postgres user). Nothing listens beyond 127.0.0.1 unless you change
# listen_addresses and pg_hba.conf for the app machines.
set -euo pipefail

ACTION="${1:-}"
shift || true
PRIMARY_PORT=5433
REPLICA_PORT=5434
DATABASE=street
while [ $# -gt 0 ]; do
  case "$1" in
    --primary-port) PRIMARY_PORT="$2"; shift 2 ;;
    --replica-port) REPLICA_PORT="$2"; shift 2 ;;
    --database) DATABASE="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$DATABASE" in (*[!a-z0-9_]*|"") echo "--database: lower-case letters, digits and _ only" >&2; exit 2 ;; esac

VERSION="$(ls /etc/postgresql | sort -V | tail -1)"
PRIMARY=dash_primary
REPLICA=dash_replica
HERE="$(cd "$(dirname "$0")" && pwd)"
ENV_FILE="$HERE/pg-replica.env"
as_pg() { runuser -u postgres -- "$@"; }
psql_primary() { as_pg psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PRIMARY_PORT" "$@"; }
exists() { pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION $1"; }
wait_ready() { for _ in $(seq 60); do pg_isready -q -h 127.0.0.1 -p "$1" && return 0; sleep 1; done; return 1; }
password() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24; }

up() {
  if [ "$(id -u)" != 0 ]; then echo "run as root" >&2; exit 1; fi
  if ! exists "$PRIMARY"; then
    echo "creating the primary ($PRIMARY, port $PRIMARY_PORT) ..."
    pg_createcluster -q "$VERSION" "$PRIMARY" -p "$PRIMARY_PORT" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    conf="/etc/postgresql/$VERSION/$PRIMARY"
    cat >> "$conf/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
hot_standby = on
EOF
    echo "host replication replicator 127.0.0.1/32 scram-sha-256" >> "$conf/pg_hba.conf"
  fi
  pg_ctlcluster "$VERSION" "$PRIMARY" start >/dev/null 2>&1 || true  # already running is fine
  wait_ready "$PRIMARY_PORT"

  local writer reader replicator
  if [ -f "$ENV_FILE" ]; then
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    writer="$FEED_PASSWORD"; reader="$READER_PASSWORD"; replicator="$REPLICATOR_PASSWORD"
  else
    writer="$(password)"; reader="$(password)"; replicator="$(password)"
  fi
  as_pg psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -p "$PRIMARY_PORT" -d postgres \
    -v writer="$writer" -v reader="$reader" -v replicator="$replicator" -v db="$DATABASE" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', r) FROM unnest(ARRAY['feed_writer','dashboard_reader']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
SELECT 'CREATE ROLE replicator LOGIN REPLICATION' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'replicator') \gexec
ALTER ROLE feed_writer PASSWORD :'writer';
ALTER ROLE dashboard_reader PASSWORD :'reader';
ALTER ROLE replicator PASSWORD :'replicator';
ALTER ROLE dashboard_reader SET default_transaction_read_only = on;
ALTER ROLE dashboard_reader SET statement_timeout = '15s';
SELECT format('CREATE DATABASE %I OWNER feed_writer', :'db') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SELECT pg_create_physical_replication_slot('dash_replica') WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'dash_replica');
SQL
  as_pg psql -X -q -v ON_ERROR_STOP=1 -p "$PRIMARY_PORT" -d "$DATABASE" -v db="$DATABASE" <<'SQL'
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CREATE ON SCHEMA public TO feed_writer;
GRANT CONNECT ON DATABASE :"db" TO dashboard_reader;
GRANT USAGE ON SCHEMA public TO dashboard_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO dashboard_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE feed_writer IN SCHEMA public GRANT SELECT ON TABLES TO dashboard_reader;
SQL
  umask 077
  cat > "$ENV_FILE" <<EOF
# written by deploy/pg_replica.sh up: the feed writes to the primary, the app reads the replica
FEED_PASSWORD=$writer
READER_PASSWORD=$reader
REPLICATOR_PASSWORD=$replicator
FEED_DATABASE_URL=postgresql://feed_writer:$writer@127.0.0.1:$PRIMARY_PORT/$DATABASE
DATABASE_URL=postgresql://dashboard_reader:$reader@127.0.0.1:$REPLICA_PORT/$DATABASE
EOF

  if ! exists "$REPLICA"; then
    echo "creating the replica ($REPLICA, port $REPLICA_PORT) from a base backup ..."
    pg_createcluster -q "$VERSION" "$REPLICA" -p "$REPLICA_PORT" >/dev/null
    data="/var/lib/postgresql/$VERSION/$REPLICA"
    find "$data" -mindepth 1 -delete  # pg_basebackup fills the (empty) folder the cluster was made with
    as_pg env PGPASSWORD="$replicator" pg_basebackup -h 127.0.0.1 -p "$PRIMARY_PORT" -U replicator \
      -D "$data" -R -X stream -S dash_replica
    conf="/etc/postgresql/$VERSION/$REPLICA/postgresql.conf"
    cat >> "$conf" <<EOF
listen_addresses = '127.0.0.1'
hot_standby = on
hot_standby_feedback = on
max_standby_streaming_delay = 30s
EOF
    cp "/etc/postgresql/$VERSION/$PRIMARY/pg_hba.conf" "/etc/postgresql/$VERSION/$REPLICA/pg_hba.conf"
  fi
  pg_ctlcluster "$VERSION" "$REPLICA" start >/dev/null 2>&1 || true
  wait_ready "$REPLICA_PORT"
  status
  echo "addresses written to $ENV_FILE"
}

status() {
  pg_lsclusters | awk -v p="$PRIMARY" -v r="$REPLICA" 'NR==1 || $2==p || $2==r'
  echo "replication (on the primary):"
  as_pg psql -X -p "$PRIMARY_PORT" -d postgres -Atc \
    "SELECT application_name || ': ' || state || ', replay lag ' || coalesce(replay_lag::text, '0') FROM pg_stat_replication" || true
  echo -n "replica in recovery (hot standby): "
  as_pg psql -X -p "$REPLICA_PORT" -d postgres -Atc "SELECT pg_is_in_recovery()" || true
}

down() {
  for cluster in "$REPLICA" "$PRIMARY"; do
    if exists "$cluster"; then pg_dropcluster --stop "$VERSION" "$cluster"; echo "dropped $cluster"; fi
  done
  rm -f "$ENV_FILE"
}

case "$ACTION" in
  up) up ;;
  status) status ;;
  down) down ;;
  *) echo "usage: $0 up|status|down [--primary-port N] [--replica-port N] [--database NAME]" >&2; exit 2 ;;
esac
