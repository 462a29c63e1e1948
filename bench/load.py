"""Fifty people at once, without browsers: N app processes behind nginx, driven over the websocket.

    .venv/bin/python bench/load.py --db sqlite:///bench/out/city.sqlite [--sessions 50] [--processes 2]
    .venv/bin/python bench/load.py --db postgresql://dashboard_reader@127.0.0.1:5434/city --duration 300

Starts the deployment as deploy/README.md describes it (the supervisor's N app processes and a
private nginx, `deploy/local.py`), waits until every process has its analytical copy loaded, then
runs `--sessions` tabs at once for `--duration` seconds, each an app/stream_client.Tab (the
server sees what a browser would send; nothing draws, so the server is what is measured):

- `--screens` big screens (default 5): the meeting-room page, rotating when the page asks to;
- `--staff` staff (default 10): each signs in (street official, community staff, grid officer,
  administrator in turn) and walks its pages;
- the rest anonymous visitors: the public pages with other periods and filters.

Between two steps a visitor pauses `--think` seconds (default 2-8, at random). A page view
counts only when that page's own heading and its main element arrived with no error shown; a
login only when a staff page opened after it. Every run ends within `--timeout` seconds or counts
as a stalled session. Sampled every second: each app process's RSS (and its children's, the
copy's refresh and the themes child), from before the first visitor to the end. Printed: per
page p50/p95/max seconds and views, logins, failed and stalled sessions, RSS per process, bytes
over the websockets, nginx's errors. Against 127.0.0.1 only; writes its state under bench/out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
import re
import secrets
import shutil
import statistics
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import warm_start  # noqa: E402
from app.i18n import translate  # noqa: E402
from app.stream_client import StreamError, Tab, View  # noqa: E402
from data_access.engine import redact  # noqa: E402
from deploy.local import LocalDeployment  # noqa: E402

# The element that makes each page what it is, beside its heading.
MAIN_ELEMENT = {
    "overview": "metric", "issue_map": "deck_gl_json_chart", "transparency": "plotly_chart",
    "volunteers": "dataframe", "ehome": "dataframe", "big_screen": "html", "patrols": "deck_gl_json_chart",
    "grid": "metric", "watchlist": "dataframe", "performance": "dataframe", "data_health": "dataframe",
}
PUBLIC_WALK = [("", ""), ("issue_map", "period=12m"), ("transparency", "period=90d"), ("volunteers", ""),
               ("ehome", "tab=needs"), ("transparency", "period=12m"), ("issue_map", "period=30d"),
               ("overview", "period=7d"), ("ehome", "tab=parking"), ("volunteers", "period=year")]
# Staff of the load test: one account per role, scoped to the first community and its grids (both
# scales name them alike: C01/C001). Their users file is written per run with fresh passwords and
# bcrypt hashes of the cost production uses, so logins cost what they cost.
STAFF = [("street", "street_official", {}, ["patrols", "watchlist", "performance", "issue_map", "transparency"]),
         ("community", "community_staff", {"community_id": "{c}"}, ["watchlist", "patrols", "grid", "issue_map"]),
         ("officer", "grid_officer", {"grid_ids": ["{c}-G1", "{c}-G2"]}, ["patrols", "grid", "issue_map"]),
         ("admin", "admin", {}, ["data_health", "performance", "patrols", "transparency"])]
PERIOD_LABEL = "filter.period"
PERIODS = ["7d", "30d", "90d", "12m", "year"]


@dataclass
class Tally:
    views: dict = field(default_factory=lambda: defaultdict(list))  # page -> seconds of good views
    bad: dict = field(default_factory=lambda: defaultdict(list))  # page -> what was wrong
    logins: list = field(default_factory=list)  # (user, ok, seconds)
    stalled: list = field(default_factory=list)  # (session, why)
    bytes: int = 0


def page_is_whole(page: str, view: View, lang: str = "zh") -> str | None:
    """None when the page's own heading and main element arrived and no error shows; else why not."""
    page = page or "overview"
    if not view.finished:
        return f"run ended with status {view.status}"
    if view.errors:
        return "error shown: " + view.errors[0][:80]
    if page != "big_screen":
        headings = [element.heading.body for element in view.kinds("heading")]
        if not headings or headings[0] != translate(lang, f"page.{page}"):
            return f"heading {headings[:1]}"
    if not view.kinds(MAIN_ELEMENT[page]):
        return f"no {MAIN_ELEMENT[page]}"
    return None


def _record(tally: Tally, page: str, view: View) -> None:
    why = page_is_whole(page, view)
    name = page or "overview"
    if why is None:
        tally.views[name].append(view.seconds)
    else:
        tally.bad[name].append(why)


async def _pause(think: tuple[float, float], deadline: float) -> bool:
    await asyncio.sleep(random.uniform(*think))  # noqa: S311
    return time.monotonic() < deadline


async def _change_period(tab: Tab, tally: Tally, page: str) -> None:
    """Pick another period in the page's own filter (a widget rerun, as a click sends it)."""
    label = translate("zh", PERIOD_LABEL)
    view = await tab.navigate(page)
    _record(tally, page, view)
    box = view.widget("selectbox", label)
    if box is None:
        return
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    choice = random.choice([option for option in box.options if option])  # noqa: S311
    _record(tally, page, await tab.rerun([WidgetState(id=box.id, string_value=choice)]))


async def visitor(base: str, tally: Tally, deadline: float, think, timeout: float, number: int) -> None:
    tab = Tab(base, timeout)
    walk = itertools.cycle(PUBLIC_WALK[number % len(PUBLIC_WALK):] + PUBLIC_WALK[:number % len(PUBLIC_WALK)])
    try:
        page, query = next(walk)
        _record(tally, page, await tab.open(page, query))
        while await _pause(think, deadline):
            page, query = next(walk)
            if random.random() < 0.3 and page in ("transparency", "issue_map"):  # noqa: S311
                await _change_period(tab, tally, page)
            else:
                _record(tally, page, await tab.navigate(page, query))
    except (StreamError, OSError) as error:
        tally.stalled.append((f"visitor {number}", str(error)[:120]))
    finally:
        tally.bytes += tab.received
        await tab.close()


def users_file(path: Path, community: str) -> dict[str, str]:
    """Write the run's users file; their passwords by username."""
    import bcrypt
    import yaml

    passwords, users = {}, {}
    for username, role, scope, _ in STAFF:
        passwords[username] = secrets.token_urlsafe(12)
        hashed = bcrypt.hashpw(passwords[username].encode(), bcrypt.gensalt(12)).decode()
        filled = {key: (value.format(c=community) if isinstance(value, str) else [v.format(c=community) for v in value])
                  for key, value in scope.items()}
        users[username] = {"name": f"{username} (load test)", "password": hashed, "roles": [role], **filled}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"credentials": {"usernames": users}}, allow_unicode=True), encoding="utf-8")
    return passwords


def first_community(db: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT min(community_id) FROM communities")).scalar()
    engine.dispose()
    return str(found)


PASSWORDS: dict[str, str] = {}


async def staff(base: str, tally: Tally, deadline: float, think, timeout: float, number: int) -> None:
    username, _, _, pages = STAFF[number % len(STAFF)]
    password = PASSWORDS[username]
    tab = Tab(base, timeout)
    try:
        await tab.open("")
        start = time.perf_counter()
        ok, view = await tab.login(username, password, pages[0])
        ok = ok and page_is_whole(pages[0], view) is None
        tally.logins.append((username, ok, time.perf_counter() - start))
        if not ok:
            tally.stalled.append((f"staff {number} ({username})", "login did not open " + pages[0]))
            return
        _record(tally, pages[0], view)
        for page in itertools.cycle(pages[1:] + pages[:1]):
            if not await _pause(think, deadline):
                break
            _record(tally, page, await tab.navigate(page))
    except (StreamError, OSError) as error:
        tally.stalled.append((f"staff {number} ({username})", str(error)[:120]))
    finally:
        tally.bytes += tab.received
        await tab.close()


async def screen(base: str, tally: Tally, deadline: float, timeout: float, number: int) -> None:
    tab = Tab(base, timeout)
    try:
        view = await tab.open("big_screen")
        _record(tally, "big_screen", view)
        while view.auto_rerun and time.monotonic() + view.auto_rerun[0] < deadline:
            interval, fragment = view.auto_rerun
            await asyncio.sleep(interval)
            turn = await tab.tick(fragment)
            if turn.finished and turn.kinds("html"):
                tally.views["big_screen (turn)"].append(turn.seconds)
            else:
                tally.bad["big_screen (turn)"].append(f"status {turn.status}")
    except (StreamError, OSError) as error:
        tally.stalled.append((f"screen {number}", str(error)[:120]))
    finally:
        tally.bytes += tab.received
        await tab.close()


async def wait_for_copies(deployment: LocalDeployment, timeout_s: float) -> list[str]:
    """Each process's analytical copy state, read off its data-health page as the administrator."""
    found = []
    for port in deployment.ports:
        tab = Tab(f"http://127.0.0.1:{port}", 120)
        await tab.open("")
        ok, _ = await tab.login("admin", PASSWORDS["admin"], "")
        deadline = time.monotonic() + timeout_s
        state = "login failed" if not ok else ""
        while ok and time.monotonic() < deadline:
            view = await tab.navigate("data_health", "lang=en")
            rows = [_copy_state(element) for name, element in view.elements if name in ("table", "dataframe")]
            rows = [row for row in rows if row]
            state = rows[0] if rows else "building"
            if rows:
                break
            await asyncio.sleep(5)
        found.append(f"port {port}: {state}")
        await tab.close()
    return found


def wait_for_children(deployment: LocalDeployment, timeout_s: float) -> bool:
    """Until no app process has a child (the themes child's first fill, a copy's build) for 10 s."""
    deadline = time.monotonic() + timeout_s
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        if any(_rss_mib(deployment.pid(port), True) > 0 for port in deployment.ports):
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 10:
            return True
        time.sleep(1)
    return False


def wait_for_warm_starts(deployment: LocalDeployment, timeout_s: float) -> list[str]:
    """Each app process's "warm start:" line (app/warm_start.py), once every process has logged one."""
    deadline = time.monotonic() + timeout_s
    while True:
        lines = {}
        for port in deployment.ports:
            log = deployment.state / "supervisor" / f"app-{port}.log"
            said = warm_start.last_line(log.read_text(encoding="utf-8", errors="replace") if log.exists() else "")
            if said is not None:
                lines[port] = said
        if len(lines) == len(deployment.ports) or time.monotonic() > deadline:
            return [f"port {port}: {lines.get(port, 'none logged')}" for port in deployment.ports]
        time.sleep(1)


def _copy_state(element) -> str:
    """The copy's state out of the data-health table (its cells travel as Arrow bytes)."""
    text = element.SerializeToString().decode("utf-8", "ignore")
    found = re.search(r"[\d,]+ rows loaded in [\d.]+ s|Switched off|Not used", text)
    return found.group(0) if found else ""


def _cpu_seconds(pid: int | None) -> float:
    """User and system CPU of the process (not its children: the themes child, the copy's build)."""
    with contextlib.suppress(psutil.NoSuchProcess, TypeError, ValueError):
        times = psutil.Process(pid).cpu_times()
        return times.user + times.system
    return 0.0


def cache_memory(port: int) -> list[tuple[str, float]]:
    """Streamlit's count of the bytes its caches hold (/_stcore/metrics): query results, session
    state, messages kept for reconnects …, largest first."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/metrics", timeout=10) as answer:
            text = answer.read().decode()
    except OSError:
        return []
    sizes: dict[str, float] = defaultdict(float)
    for line in text.splitlines():
        found = re.match(r'cache_memory_bytes\{cache_type="([^"]+)",cache="([^"]*)"\} ([\d.e+]+)', line)
        if found:
            sizes[f"{found.group(1)}:{found.group(2)}"] += float(found.group(3))
    return sorted(sizes.items(), key=lambda item: -item[1])


def _rss_mib(pid: int | None, children: bool) -> float:
    if pid is None:
        return 0.0
    with contextlib.suppress(psutil.NoSuchProcess):
        process = psutil.Process(pid)
        total = 0 if children else process.memory_info().rss
        if children:
            for child in process.children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    total += child.memory_info().rss
        return total / 2**20
    return 0.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--screens", type=int, default=5)
    parser.add_argument("--staff", type=int, default=10)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--duration", type=float, default=240)
    parser.add_argument("--ramp", type=float, default=20, help="seconds over which the sessions arrive")
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 8.0))
    parser.add_argument("--timeout", type=float, default=60, help="a run taking longer is a stalled session")
    parser.add_argument("--copy-dir", default=str(ROOT / "data" / "analytical"))
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the app processes (e.g. MALLOC_ARENA_MAX=2)")
    parser.add_argument("--linger", type=float, default=0,
                        help="seconds to keep sampling after the sessions left (Streamlit drops a closed "
                             "session after server.disconnectedSessionTTL, 120 s): what stays is not per session")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--probe", action="store_true",
                        help="sample where each app process's memory lives, from inside it (bench/probe)")
    parser.add_argument("--census", action="store_true",
                        help="with --probe: an object census in each app process before the first visitor and after "
                             "each wave, and what grew between them (bench/probe; a census stops a process a minute)")
    parser.add_argument("--waves", type=int, default=1,
                        help="run the sessions this many times in a row, new tabs each time: the growth of a later "
                             "wave, on a warm process, is what 50 more sessions cost")
    args = parser.parse_args()
    if args.census and not args.probe:
        parser.error("--census needs --probe")
    host = urllib.parse.urlsplit(args.db).hostname
    if not args.db.startswith(("sqlite:///", "postgresql")) or host not in (None, "127.0.0.1", "localhost"):
        parser.error("--db: a SQLite file or a PostgreSQL database on 127.0.0.1")
    random.seed(args.seed)
    state = ROOT / "bench" / "out" / "load"
    shutil.rmtree(state, ignore_errors=True)
    PASSWORDS.update(users_file(state / "users.yaml", first_community(args.db)))
    env = {"DATABASE_URL": args.db, "SYL_COOKIE_KEY": secrets.token_urlsafe(48),
           "SYL_USERS_FILE": str(state / "users.yaml"), "SYL_AUDIT_LOG_PATH": str(state / "audit" / "audit.jsonl"),
           "SYL_ANALYTICAL_COPY_DIR": args.copy_dir} | dict(item.split("=", 1) for item in args.env)
    if args.probe:
        (state / "probe").mkdir(parents=True)
        env |= {"PYTHONPATH": str(ROOT / "bench" / "probe"), "SYL_MEMORY_PROBE_DIR": str(state / "probe")}
    with LocalDeployment(state, args.processes, env=env) as deployment:
        print(f"{args.processes} processes on {deployment.ports} behind nginx at {deployment.base}", flush=True)
        for line in asyncio.run(wait_for_copies(deployment, 900)):
            print("copy:", line, flush=True)
        quiet = wait_for_children(deployment, 600)
        print(f"children (themes, copy) {'done' if quiet else 'still running'} before the first visitor", flush=True)
        for line in wait_for_warm_starts(deployment, 600):
            print("warm start:", line, flush=True)
        pids = {p["port"]: p["pid"] for p in deployment.processes()}
        samples: dict[int, list[tuple[float, float, float]]] = defaultdict(list)  # port -> (t, rss, children)
        stop = threading.Event()

        def sample() -> None:
            start = time.monotonic()
            while not stop.is_set():
                for port in deployment.ports:
                    pid = deployment.pid(port)
                    samples[port].append((time.monotonic() - start, _rss_mib(pid, False), _rss_mib(pid, True)))
                stop.wait(1.0)

        baseline = {port: _rss_mib(pid, False) for port, pid in pids.items()}
        cpu_before = {port: _cpu_seconds(pid) for port, pid in pids.items()}
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        if args.census:
            take_census(state / "probe", "before", list(pids.values()))
        tally = Tally()
        started = time.monotonic()
        waves = []  # RSS of each process at the end of each wave of sessions
        moments = [("before", time.time())]  # wall-clock ends of the waves, for the probe's samples
        for number in range(args.waves):
            asyncio.run(_run_all(deployment.base, args, tally))
            waves.append({port: _rss_mib(deployment.pid(port), False) for port in deployment.ports})
            moments.append((f"wave {number + 1}", time.time()))
            if args.census:
                take_census(state / "probe", f"wave{number + 1}", [deployment.pid(port) for port in deployment.ports])
        elapsed = time.monotonic() - started
        end = waves[-1]
        cpu = {port: _cpu_seconds(deployment.pid(port)) - cpu_before[port] for port in deployment.ports}
        caches = {port: cache_memory(port) for port in deployment.ports}
        time.sleep(2 + args.linger)
        stop.set()
        sampler.join()
        after = {port: _rss_mib(deployment.pid(port), False) for port in deployment.ports}
        restarts = {p["port"]: p["restarts"] for p in deployment.processes()}
        errors = (deployment.prefix / "error.log").read_text(encoding="utf-8").splitlines() \
            if (deployment.prefix / "error.log").exists() else []
    _report(args, tally, elapsed, baseline, end, after, samples, restarts, errors)
    if args.probe:
        probe_report(state / "probe", moments)
    if args.census:
        census_report(state / "probe")
    views = sum(map(len, tally.views.values()))
    used = sum(cpu.values())
    print(f"server CPU: {used:.0f} s over {elapsed:.0f} s ({100 * used / elapsed:.0f} % of one core; "
          f"{1000 * used / max(1, views):.0f} ms a view), " + ", ".join(
              f"{port} {100 * seconds / elapsed:.0f} %" for port, seconds in cpu.items()))
    if len(waves) > 1:
        for port in sorted(baseline):
            steps = " -> ".join(f"{wave[port]:.0f}" for wave in waves)
            print(f"{port}: RSS at the end of each wave (MiB): {baseline[port]:.0f} before -> {steps}; "
                  f"the last wave added {waves[-1][port] - waves[-2][port]:+.0f}")
    for port, found in caches.items():
        top = ", ".join(f"{name} {size / 2**20:.1f}" for name, size in found[:6])
        print(f"{port}: Streamlit's own count of its caches at the end (MiB): {top}")


PROBED = [("rss", "RSS"), ("rss_anon", "anonymous"), ("rss_file", "file-backed"), ("glibc_in_use", "glibc in use"),
          ("glibc_free", "glibc free"), ("glibc_mmap", "glibc mmap"), ("pymalloc_bytes", "pymalloc arenas"),
          ("pymalloc_live", "pymalloc live objects"),
          ("duckdb", "DuckDB buffers"), ("threads", "threads")]
# Times, not sizes: what the cyclic garbage collector cost since the process started.
COLLECTOR = [("cpu_seconds", "CPU seconds", 1), ("gc_seconds", "GC CPU seconds", 1),
             ("gc_full", "GC full collections", 1), ("gc_full_seconds", "GC full CPU seconds", 1),
             ("gc_max_pause", "GC longest pause (ms)", 1000), ("segmenter", "segmenter loaded (1 = yes)", 1)]


def probe_report(folder: Path, moments: list[tuple[str, float]]) -> None:
    """Each app process's memory by holder (bench/probe/sitecustomize.py), at the last sample before
    the first visitor and before the end of each wave, in MiB; the rest is outside glibc and pymalloc."""
    import json

    for path in sorted(folder.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        picked = []
        for label, moment in moments:
            earlier = [row for row in rows if row["t"] <= moment]
            if earlier:
                picked.append((label, earlier[-1]))
        if not picked:
            continue
        print(f"\nprobe of process {path.stem} (MiB):")
        print("  " + " | ".join(["holder"] + [label for label, _ in picked]))
        for key, name in PROBED + [("rest", "rest (jemalloc, mimalloc, maps)")]:
            cells = []
            for _, row in picked:
                if key == "duckdb":
                    value = sum(row.get("duckdb", {}).values())
                elif key == "rest":
                    value = row.get("rss_anon", 0) - row.get("glibc_in_use", 0) - row.get("glibc_free", 0) \
                        - row.get("pymalloc_bytes", 0)
                else:
                    value = row.get(key, 0)
                cells.append(f"{value:.0f}" if key == "threads" else f"{value / 2**20:.0f}")
            print("  " + " | ".join([name] + cells))
        for key, name, scale in COLLECTOR:
            print("  " + " | ".join([name] + [f"{row.get(key, 0) * scale:.1f}" for _, row in picked]))
        errors = {key: value for row in rows for key, value in row.items() if key.endswith("_error")}
        for key, value in errors.items():
            print(f"  {key}: {value}")


def take_census(folder: Path, label: str, pids: list[int], limit_s: float = 600) -> None:
    """Ask every app process for its census (a `census` file the probe looks for every 10 s), wait for
    them and keep them as <pid>.census.<label>.json. Nothing is measured meanwhile: it walks every object."""
    import json

    print(f"census {label}: asked", flush=True)
    (folder / "census").touch()
    deadline = time.monotonic() + limit_s
    wanted = [folder / f"{pid}.census.json" for pid in pids]
    while time.monotonic() < deadline and not all(path.exists() for path in wanted):
        time.sleep(2)
    time.sleep(1)  # the last file written whole
    (folder / "census").unlink()
    for path in wanted:
        if path.exists():
            path.rename(folder / f"{path.name.split('.')[0]}.census.{label}.json")
        else:
            print(f"census {label}: no answer from {path.name.split('.')[0]}", flush=True)
    answers = folder.glob(f"*.census.{label}.json")
    found = [json.loads(path.read_text(encoding="utf-8")).get("error") for path in answers]
    print(f"census {label}: done" + "".join(f"; error: {error}" for error in found if error), flush=True)


def census_report(folder: Path) -> None:
    """Per process: the object types whose count grew most from one census to the next, the memos'
    sizes, and who holds the objects of the last census (chains of first holders, counted)."""
    import json

    for pid in sorted({path.name.split(".")[0] for path in folder.glob("*.census.*.json")}):
        taken = sorted(folder.glob(f"{pid}.census.*.json"), key=lambda path: path.stat().st_mtime)
        censuses = [(path.name.split(".")[2], json.loads(path.read_text(encoding="utf-8"))) for path in taken]
        censuses = [(label, found) for label, found in censuses if "types" in found]
        print(f"\ncensus of process {pid}: " + ", ".join(f"{label} {found['caches']}" for label, found in censuses))
        for (was_label, was), (now_label, now) in itertools.pairwise(censuses):
            before, after = dict(was["types"]), dict(now["types"])
            grew = sorted(((after.get(kind, 0) - before.get(kind, 0), kind) for kind in after), reverse=True)[:12]
            print(f"  grew {was_label} -> {now_label}: " + ", ".join(f"{kind} {delta:+,}" for delta, kind in grew))
        for label, found in censuses:
            pages = found.get("page_namespaces") or {}
            print(f"  page namespaces alive at {label}: " + (", ".join(
                f"{name} {entry['alive']} ({entry['bytes'] / 2**20:.1f} MiB of data)"
                for name, entry in sorted(pages.items()))
                or "none"))
        for label, found in censuses:
            for size, blocks, frames in found.get("allocations") or []:
                print(f"  allocated before {label} (tracemalloc): {size / 2**20:+.1f} MiB in {blocks:+,} blocks at "
                      + " > ".join(frames[-6:]))
        if censuses:
            label, last = censuses[-1]
            for kind, chains in last["owners"].items():
                print(f"  who holds {kind} at {label}:")
                for chain, count in chains:
                    print(f"    {count:>5}  {chain[:300]}")


async def _run_all(base: str, args, tally: Tally) -> None:
    deadline = time.monotonic() + args.duration
    jobs = []
    kinds = ["screen"] * args.screens + ["staff"] * args.staff
    kinds += ["visitor"] * max(0, args.sessions - len(kinds))
    random.Random(7).shuffle(kinds)
    for number, kind in enumerate(kinds):
        delay = args.ramp * number / max(1, len(kinds))
        jobs.append(_later(delay, kind, base, tally, deadline, args, number))
    await asyncio.gather(*jobs)


async def _later(delay: float, kind: str, base: str, tally: Tally, deadline: float, args, number: int) -> None:
    await asyncio.sleep(delay)
    think = tuple(args.think)
    if kind == "screen":
        await screen(base, tally, deadline, args.timeout, number)
    elif kind == "staff":
        await staff(base, tally, deadline, think, args.timeout, number)
    else:
        await visitor(base, tally, deadline, think, args.timeout, number)


def _report(args, tally: Tally, elapsed: float, baseline, end, after, samples, restarts, errors) -> None:
    print(f"\n{args.waves} x {args.sessions} sessions ({args.screens} big screens, {args.staff} staff) "
          f"for {elapsed:.0f} s on {args.processes} processes, think {args.think[0]:g}-{args.think[1]:g} s, "
          f"db {redact(args.db)}")
    print(f"\n{'page':<20}{'views':>7}{'p50 s':>8}{'p95 s':>8}{'max s':>8}{'not whole':>11}")
    all_times = []
    for page in sorted(set(tally.views) | set(tally.bad)):
        times = tally.views.get(page, [])
        all_times += times
        if times:
            print(f"{page:<20}{len(times):>7}{statistics.median(times):>8.2f}{_percentile(times, 0.95):>8.2f}"
                  f"{max(times):>8.2f}{len(tally.bad.get(page, [])):>11}")
        else:
            print(f"{page:<20}{0:>7}{'':>24}{len(tally.bad.get(page, [])):>11}")
    if all_times:
        print(f"{'all pages':<20}{len(all_times):>7}{statistics.median(all_times):>8.2f}"
              f"{_percentile(all_times, 0.95):>8.2f}{max(all_times):>8.2f}{sum(map(len, tally.bad.values())):>11}")
    for page, whys in tally.bad.items():
        print(f"  not whole: {page}: {whys[:3]}")
    good = [seconds for _, ok, seconds in tally.logins if ok]
    print(f"\nlogins: {len(good)} of {len(tally.logins)} opened a staff page"
          + (f" (form to staff page: p50 {statistics.median(good):.2f} s, max {max(good):.2f} s)" if good else ""))
    print(f"failed or stalled sessions: {len(tally.stalled)}")
    for who, why in tally.stalled:
        print(f"  {who}: {why}")
    print(f"bytes over the websockets: {tally.bytes / 2**20:.1f} MiB "
          f"({tally.bytes / max(1, len(all_times)) / 1024:.0f} KiB a view)")
    if args.env:
        print("app processes' extra environment: " + " ".join(args.env))
    linger = f"{args.linger:.0f} s later"
    print(f"\n{'process':<10}{'before':>9}{'peak':>9}{'end':>9}{'growth':>9}{linger:>14}{'children peak':>15}"
          f"{'restarts':>10}  MiB")
    for port in sorted(samples):
        rss = [s[1] for s in samples[port] if s[1] > 0]
        kids = [s[2] for s in samples[port]]
        peak = max(rss) if rss else 0.0
        print(f"{port:<10}{baseline[port]:>9.0f}{peak:>9.0f}{end[port]:>9.0f}{peak - baseline[port]:>9.0f}"
              f"{after[port]:>14.0f}{max(kids) if kids else 0:>15.0f}{restarts.get(port, 0):>10}")
    print(f"\nnginx errors logged: {len([line for line in errors if '[error]' in line])}")
    for line in [line for line in errors if "[error]" in line][:5]:
        print("  " + line[:200])


if __name__ == "__main__":
    main()
