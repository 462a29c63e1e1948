"""app/run_gate.py: at most N page runs at once per process, the rest in arrival order."""

from __future__ import annotations

import threading
import time

import pytest

from app.run_gate import RunGate, shared


def _crowd(gate: RunGate, runs: int, hold_s: float, stagger_s: float = 0.0) -> tuple[int, list[int]]:
    """`runs` threads through the gate, each holding its turn `hold_s`: the most inside at once and
    the order in which they got in."""
    most = 0
    order: list[int] = []
    lock = threading.Lock()

    def run(number: int) -> None:
        nonlocal most
        with gate.turn():
            with lock:
                order.append(number)
                most = max(most, gate.inside)
            time.sleep(hold_s)

    threads = []
    for number in range(runs):
        thread = threading.Thread(target=run, args=(number,))
        thread.start()
        threads.append(thread)
        time.sleep(stagger_s)
    for thread in threads:
        thread.join(30)
    return most, order


def test_no_more_than_the_slots_are_inside_at_once() -> None:
    gate = RunGate(3)
    most, order = _crowd(gate, runs=12, hold_s=0.05)
    assert most == 3
    assert sorted(order) == list(range(12))
    assert gate.inside == 0 and gate.waited >= 9 and gate.overrun == 0


def test_waiting_runs_get_in_in_arrival_order() -> None:
    gate = RunGate(1)
    _, order = _crowd(gate, runs=8, hold_s=0.05, stagger_s=0.01)
    assert order == list(range(8))


def test_a_run_inside_passes_again_without_a_slot() -> None:
    """A fragment drawn within its page enters again from the same thread: no deadlock."""
    gate = RunGate(1)
    with gate.turn(), gate.turn():
        assert gate.inside == 1
    assert gate.inside == 0


def test_an_error_or_a_rerun_gives_the_slot_back() -> None:
    gate = RunGate(1)

    class Rerun(Exception):  # what Streamlit raises to stop a run
        pass

    with pytest.raises(Rerun), gate.turn():
        raise Rerun
    assert gate.inside == 0
    with gate.turn():  # the slot is free again, at once
        assert gate.waited == 0


def test_a_stuck_run_holds_the_others_only_up_to_the_wait_limit() -> None:
    gate = RunGate(1)
    release = threading.Event()
    inside = threading.Event()

    def stuck() -> None:
        with gate.turn():
            inside.set()
            release.wait(30)

    holder = threading.Thread(target=stuck)
    holder.start()
    assert inside.wait(10)
    started = time.monotonic()
    with gate.turn(wait_limit_s=0.3):
        waited = time.monotonic() - started
        assert gate.inside == 2  # let in past the limit
    release.set()
    holder.join(10)
    assert 0.25 < waited < 5
    assert gate.overrun == 1 and gate.inside == 0


def test_one_gate_per_process_and_setting() -> None:
    assert shared(4) is shared(4)
    assert shared(4) is not shared(5)
    with pytest.raises(ValueError):
        RunGate(0)


def test_a_served_process_with_one_slot_answers_every_tab(tiny_sqlite_url) -> None:
    """The real server with page_runs_at_once = 1: six tabs open pages at once, the big screen (a
    fragment drawn within its page run) among them, and every page arrives whole; the big screen's
    own timed rerun, which runs outside a page run, still turns."""
    import asyncio

    from app import stream_client
    from app.i18n import translate
    from app.stream_client import Tab
    from bench.app_server import start_server

    server, base = start_server(tiny_sqlite_url, SYL_PAGE_RUNS_AT_ONCE="1", SYL_ANALYTICAL_COPY="off")
    pages = ["transparency", "big_screen", "overview", "volunteers", "issue_map", "big_screen"]

    async def visit() -> list:
        tabs = [Tab(base, timeout_s=90) for _ in pages]
        try:
            views = await asyncio.gather(*(tab.open(page) for tab, page in zip(tabs, pages, strict=True)))
            screen = views[1]
            turned = await tabs[1].tick(screen.auto_rerun[1]) if screen.auto_rerun else None
            return [*views, turned]
        finally:
            for tab in tabs:
                await tab.close()

    try:
        *views, turned = stream_client.run(visit())
    finally:
        server.terminate()
        server.wait(30)
    for page, view in zip(pages, views, strict=True):
        assert view.finished and not view.errors, (page, view.status, view.errors)
        if page != "big_screen":
            assert view.kinds("heading")[0].heading.body == translate("zh", f"page.{page}")
    assert turned is not None and turned.finished and turned.kinds("html"), "the big screen did not turn"
