"""The read replica restarted under open pages: what visitors see, and how soon the pages come back.

    sudo deploy/pg_replica.sh up --database city      (once; then load the city into the primary)
    set -a; . deploy/pg-replica.env; set +a
    .venv/bin/python bench/replica_restart.py --db "$DATABASE_URL" [--cluster 15/dash_replica]

Starts the deployment (deploy/local.py: two app processes behind nginx) over the replica, opens
tabs (zh and en visitors, a signed-in street official, a big screen), then restarts the replica
cluster (`pg_ctlcluster … restart`, so it needs root) and, while it is down and after, keeps
asking each tab for a page nothing has cached yet. Each tab then waits for the page's own retry
(every 10 s) as an open browser would. Prints, per tab: what it showed while the replica was
away and how many seconds after the replica answered again the page was whole, with nobody
reloading. Needs the replica of deploy/pg_replica.sh; writes only under bench/out.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.stream_client import Tab, View  # noqa: E402
from bench.load import PASSWORDS, first_community, page_is_whole, users_file  # noqa: E402
from deploy.local import LocalDeployment  # noqa: E402

AWAY_ZH = "数据暂时无法读取"
AWAY_EN = "The data cannot be read at the moment"


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _shown(view: View) -> str:
    if view.has_text(AWAY_ZH) or view.has_text(AWAY_EN):
        return "data away notice" + (" (retrying)" if view.auto_rerun else " (NO retry)")
    if view.errors:
        return "error: " + view.errors[0][:60]
    return "page"


async def drill(base: str, db: str, cluster: str) -> None:
    tabs = {
        "visitor zh (transparency)": (Tab(base, 120), "transparency", "period=12m", ""),
        "visitor en (volunteers)": (Tab(base, 120), "volunteers", "lang=en&period=year", ""),
        "street official (watchlist)": (Tab(base, 120), "watchlist", "", "street"),
        "issue map zh": (Tab(base, 120), "issue_map", "period=90d", ""),
    }
    for name, (tab, _, query, user) in tabs.items():
        await tab.open("", query)
        if user:
            ok, _ = await tab.login(user, PASSWORDS[user], "overview")
            print(f"{name}: signed in {ok}")
    version, cluster_name = cluster.split("/")
    print(f"restarting {cluster} ...", flush=True)
    restart = subprocess.Popen(["pg_ctlcluster", version, cluster_name, "restart", "-m", "fast"])  # noqa: S603, S607
    started = time.monotonic()
    while _answers(db) and restart.poll() is None:  # until it is down
        await asyncio.sleep(0.05)
    print(f"replica away after {time.monotonic() - started:.1f} s", flush=True)
    views = {}
    for name, (tab, page, query, _) in tabs.items():  # asked while the replica goes down and comes back
        views[name] = await tab.navigate(page, query)
        print(f"{name}: {_shown(views[name])} after {time.monotonic() - started:.1f} s", flush=True)
    restart.wait()
    while not _answers(db):
        await asyncio.sleep(0.2)
    back_at = time.monotonic()
    print(f"replica answers again {back_at - started:.1f} s after the restart began", flush=True)
    await asyncio.gather(*(_until_whole(name, tab, page, "en" if "lang=en" in query else "zh", views[name], back_at)
                           for name, (tab, page, query, _) in tabs.items()))


async def _until_whole(name: str, tab: Tab, page: str, lang: str, away: View, back_at: float) -> None:
    """Wait as the open browser tab does: the page's own retry, every time it asked for one."""
    view = away
    while page_is_whole(page, view, lang) is not None:
        if not away.auto_rerun:
            print(f"{name}: not whole and no retry asked: {view.texts()[-2:]}")
            break
        await asyncio.sleep(away.auto_rerun[0])  # the browser's timer
        view = await tab.tick(away.auto_rerun[1])
        if view.finished and not view.kinds("heading"):  # a retry that found it still away
            view = away
    else:
        print(f"{name}: whole again {time.monotonic() - back_at:.1f} s after the replica answered, "
              f"nobody reloaded", flush=True)
    await tab.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--cluster", default="15/dash_replica")
    args = parser.parse_args()
    if shutil.which("pg_ctlcluster") is None:
        parser.error("needs Debian's PostgreSQL (pg_ctlcluster) and root")
    state = ROOT / "bench" / "out" / "replica-restart"
    shutil.rmtree(state, ignore_errors=True)
    PASSWORDS.update(users_file(state / "users.yaml", first_community(args.db)))
    env = {"DATABASE_URL": args.db, "SYL_COOKIE_KEY": secrets.token_urlsafe(48),
           "SYL_USERS_FILE": str(state / "users.yaml"), "SYL_AUDIT_LOG_PATH": str(state / "audit" / "audit.jsonl"),
           "SYL_ANALYTICAL_COPY_DIR": str(ROOT / "data" / "analytical")}
    with LocalDeployment(state, 2, env=env) as deployment:
        asyncio.run(drill(deployment.base, args.db, args.cluster))


if __name__ == "__main__":
    main()
