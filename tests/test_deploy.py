"""Several app processes behind nginx: the site, the supervisor, and a process lost under a visitor.

The unit tests check the nginx site's text and the supervisor's decisions with fake processes.
The rest start the real thing: the supervisor with two app processes over the tiny street, and
Debian's nginx on the rendered site under a private prefix (no root, free ports); visitors are
tabs that speak Streamlit's websocket protocol (app/stream_client.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from app.stream_client import StreamError, Tab, run
from deploy import nginx_site
from deploy.local import LocalDeployment, free_port, nginx_binary
from deploy.supervise import Slot, Supervisor

NGINX = nginx_binary()
needs_nginx = pytest.mark.skipif(NGINX is None, reason="needs Debian's nginx (apt-get install nginx-light)")


# -- the site's text -----------------------------------------------------------------------------
def test_site_routes_every_port_by_the_route_cookie_and_upgrades_websockets() -> None:
    text = nginx_site.site([8501, 8502, 8503], listen=80)
    assert re.findall(r"server 127\.0\.0\.1:(\d+) max_fails=1 fail_timeout=10s;", text) == ["8501", "8502", "8503"]
    assert "hash $community_dashboards_route consistent;" in text
    assert '""      $request_id;' in text and "default $cookie_syl_route;" in text
    stream = text[text.index("location = /_stcore/stream"):text.index("location / {")]
    assert "proxy_set_header Upgrade $http_upgrade;" in stream and "proxy_read_timeout 1h;" in stream
    assert "proxy_set_header Host $http_host;" in text  # Streamlit checks Origin against Host, port included
    assert "proxy_set_header X-Real-IP $remote_addr;" in text
    assert "Secure" not in text and "ssl" not in text


def test_site_over_tls_marks_the_route_cookie_secure() -> None:
    text = nginx_site.site([8501], listen=443, certificate="/c.pem", certificate_key="/c.key")
    assert "listen 443 ssl;" in text and "ssl_certificate /c.pem;" in text and "ssl_certificate_key /c.key;" in text
    assert "SameSite=Lax; Secure" in text


@pytest.mark.parametrize("argv", [["--ports", ""], ["--ports", "80,x"], ["--ports", "0"], ["--ports", "70000"]])
def test_site_command_refuses_bad_ports(argv, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        nginx_site.main(argv)
    assert stopped.value.code == 2 and "ports" in capsys.readouterr().err


def test_site_command_refuses_a_certificate_without_key(capsys) -> None:
    assert nginx_site.main(["--ports", "8501", "--certificate", "/c.pem"]) == 2
    assert "key" in capsys.readouterr().err


@needs_nginx
def test_nginx_accepts_the_standalone_site(tmp_path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_site.standalone(str(tmp_path), [8501, 8502], free_port()), encoding="utf-8")
    checked = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


# -- the supervisor's decisions, with stand-in processes ----------------------------------------
def _sleeper(port: int) -> list[str]:
    return [sys.executable, "-c", "import time; time.sleep(60)"]


def _quitter(port: int) -> list[str]:
    return [sys.executable, "-c", "raise SystemExit(3)"]


@pytest.fixture
def supervisor(tmp_path):
    made = []

    def make(command, failures=3):
        made.append(Supervisor([9001], tmp_path, failures, command=command, log=lambda line: None))
        return made[-1]

    yield make
    for one in made:
        one.stop_all()


def test_a_process_that_exits_is_started_again_with_a_growing_pause(supervisor) -> None:
    boss = supervisor(_quitter)
    slot = boss.slots[0]
    boss.check(slot, 0.0)
    first = slot.pid
    slot.process.wait()
    boss.check(slot, 1.0)  # died within the crash window: a pause before the next start
    assert slot.process is None and slot.restarts == 1 and slot.pause_s == 1.0 and "exited with 3" in slot.last_exit
    boss.check(slot, 1.5)
    assert slot.process is None  # still pausing
    boss.check(slot, 2.0)
    assert slot.pid not in (None, first)
    slot.process.wait()
    boss.check(slot, 3.0)
    assert slot.pause_s == 2.0  # it keeps crashing: the pause doubles


def test_a_hung_process_is_stopped_and_started_again(supervisor) -> None:
    boss = supervisor(_sleeper, failures=2)
    slot = boss.slots[0]
    boss.check(slot, 0.0)
    hung = slot.process
    boss.check(slot, 100.0, probe=lambda port: True)
    assert slot.healthy and slot.failures == 0
    boss.check(slot, 101.0, probe=lambda port: False)
    assert not slot.healthy and slot.failures == 1 and hung.poll() is None
    boss.check(slot, 102.0, probe=lambda port: False)
    assert hung.poll() is not None and slot.restarts == 1 and "no health answer 2 times" in slot.last_exit
    assert slot.pause_s == 0.0  # it ran well for a while: no pause
    boss.check(slot, 102.0)
    assert slot.process is not None and slot.pid != hung.pid


def test_a_starting_process_has_its_grace(supervisor) -> None:
    boss = supervisor(_sleeper, failures=1)
    slot = boss.slots[0]
    boss.check(slot, 0.0)
    boss.check(slot, 30.0, probe=lambda port: False)
    assert slot.failures == 0 and slot.restarts == 0  # not answering yet is starting, not hung
    boss.check(slot, 61.0, probe=lambda port: False)
    assert slot.restarts == 1


def test_state_file_names_every_process(supervisor, tmp_path) -> None:
    boss = supervisor(_sleeper)
    boss.round(probe=lambda port: False)
    state = json.loads((tmp_path / "supervisor.json").read_text(encoding="utf-8"))
    assert state["supervisor"] == os.getpid()
    assert [(p["port"], p["pid"]) for p in state["processes"]] == [(9001, boss.slots[0].pid)]
    assert isinstance(Slot(1).public(), dict)


# -- the real thing: two app processes behind nginx ---------------------------------------------
def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"waited {seconds:.0f} s for {what}")


def _upstream(cluster: LocalDeployment, tab: Tab) -> int:
    """The process that served the tab's latest request that has ended."""
    served = _wait(lambda: cluster.served(tab.cookie(nginx_site.ROUTE_COOKIE)), 10, "the tab in nginx's log")
    return served[-1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, tiny_sqlite_url):
    if NGINX is None:
        pytest.skip("needs Debian's nginx (apt-get install nginx-light)")
    folder = tmp_path_factory.mktemp("deploy")
    deployment = LocalDeployment(folder, processes=2, probe_seconds=1, failures=2, env={
        "DATABASE_URL": tiny_sqlite_url,
        "SYL_COOKIE_KEY": secrets.token_urlsafe(48),  # one key for both, as secrets.toml gives it
        "SYL_AUDIT_LOG_PATH": str(folder / "audit" / "audit.jsonl"),
        "SYL_ANALYTICAL_COPY_DIR": str(folder / "analytical"),
    })
    with deployment:
        yield deployment
    for process in deployment.processes():  # the supervisor stopped its processes before it went
        with pytest.raises(ProcessLookupError):
            os.kill(process["pid"], 0)


def _headings(view) -> list[str]:
    return [element.heading.body for element in view.kinds("heading")]


@needs_nginx
def test_tabs_are_spread_over_the_processes_and_each_stays_on_one(cluster) -> None:
    async def visit():
        tabs = [Tab(cluster.base) for _ in range(8)]
        views = await asyncio.gather(*(tab.open("transparency") for tab in tabs))
        for tab in tabs:
            await tab.close()  # nginx logs a websocket when it ends
        return tabs, views

    tabs, views = run(visit())
    assert all(view.finished and _headings(view)[0] == "办理公开" and not view.errors for view in views)
    served = {}
    for tab in tabs:
        ports = _wait(lambda tab=tab: cluster.served(tab.cookie(nginx_site.ROUTE_COOKIE)), 10, "the tab's requests")
        assert len(ports) >= 2 and len(set(ports)) == 1, ports  # page and websocket: one process
        served[tab.cookie(nginx_site.ROUTE_COOKIE)] = ports[0]
    assert len(set(served.values())) == 2  # 8 tabs, 2 processes: both used (chance of one: 1 in 128)


async def _signed_in(cluster: LocalDeployment, page: str, heading: str) -> Tab:
    """A street official's tab through nginx, signed in and on `page`."""
    tab = Tab(cluster.base)
    await tab.open("")
    ok, view = await tab.login("street", "street-demo-2026", page)
    assert ok and _headings(view)[0] == heading, view.texts()
    return tab


@needs_nginx
def test_a_login_through_the_proxy_is_honoured_by_the_other_process(cluster) -> None:
    async def visit():
        tab = await _signed_in(cluster, "patrols", "巡查覆盖")
        await tab.close()
        other = next(port for port in cluster.ports if port != _upstream(cluster, tab))
        direct = Tab(f"http://127.0.0.1:{other}")
        for cookie in tab.jar:
            direct.jar.set_cookie(cookie)
        await direct.connect()
        return await direct.navigate("patrols")

    view = run(visit())
    assert _headings(view)[0] == "巡查覆盖" and not view.errors  # the cookie, checked by the other process


@needs_nginx
def test_a_killed_process_its_visitors_land_on_the_other_logged_in_and_it_comes_back(cluster) -> None:
    async def visit():
        tab = await _signed_in(cluster, "watchlist", "特殊人群关怀")
        port = _upstream(cluster, tab)
        pid = cluster.pid(port)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(StreamError):
            await tab.rerun()
        await tab.connect()  # the browser reconnects to the same address
        again = await tab.navigate(tab.page, tab.query)
        await tab.close()  # nginx logs a websocket when it ends
        return port, pid, again, tab

    port, pid, again, tab = run(visit())
    assert _headings(again)[0] == "特殊人群关怀" and not again.errors  # same page, still signed in
    assert _upstream(cluster, tab) != port
    back = _wait(lambda: next((p for p in cluster.processes() if p["port"] == port and p["healthy"]
                               and p["pid"] != pid), None), 90, "the killed process restarted")
    assert back["restarts"] >= 1 and "exited with -9" in back["last_exit"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as answer:  # noqa: S310
        assert answer.status == 200


@needs_nginx
def test_a_hung_process_is_replaced(cluster) -> None:
    port = cluster.ports[1]
    pid = cluster.pid(port)
    os.kill(pid, signal.SIGSTOP)
    try:
        back = _wait(lambda: next((p for p in cluster.processes() if p["port"] == port and p["healthy"]
                                   and p["pid"] != pid), None), 120, "the hung process replaced")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert "no health answer" in back["last_exit"]

    async def visit():
        return await asyncio.gather(*(Tab(cluster.base).open("") for _ in range(4)))

    assert all(_headings(view)[0] == "总览" for view in run(visit()))
