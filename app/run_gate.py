"""At most a few page runs of this process build their page at once; the others wait their turn.

Streamlit runs every session's script in a thread of its own, and a page run holds the interpreter
while it builds its page (pandas, plotly, pydeck): ten runs at once take as long in all as ten in a
row, but each of them finishes only when all ten are nearly done, holding its half-built page
meanwhile. Letting `page_runs_at_once` runs in and queueing the rest in arrival order lets the
first finish first. A few at once still overlap one run's database wait with another's work:
queries release the interpreter. Measured with 50 sessions on 2 busy cores (docs/deployment.md,
"Fifty sessions at once"): p95 2.78 s with 4 at once against 3.88-3.94 s without the gate, for
as many views; the memory of the busiest seconds was not measurably lower.

A thread already inside passes again without waiting, so a nested turn never deadlocks. A run
that waited `WAIT_LIMIT_S` goes on anyway, so a stuck run never stops the others for good.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

WAIT_LIMIT_S = 30.0
_gates: dict[int, RunGate] = {}
_gates_lock = threading.Lock()


def shared(slots: int) -> RunGate:
    """This process's gate for `slots` runs at once (one per setting value; settings rarely change)."""
    with _gates_lock:
        if slots not in _gates:
            _gates[slots] = RunGate(slots)
        return _gates[slots]


class RunGate:
    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("slots: at least 1")
        self.slots = slots
        self._lock = threading.Condition()
        self._inside = 0
        self._queue: list[int] = []  # tickets of waiting runs, oldest first
        self._tickets = 0
        self._depth = threading.local()
        self.waited = 0  # runs that had to wait: for tests
        self.overrun = 0  # runs let in past the limit after WAIT_LIMIT_S

    @property
    def inside(self) -> int:
        return self._inside

    @contextlib.contextmanager
    def turn(self, wait_limit_s: float = WAIT_LIMIT_S) -> Iterator[None]:
        """Hold one of the slots for the block (at once when this thread holds one already)."""
        depth = getattr(self._depth, "value", 0)
        if depth:
            self._depth.value = depth + 1
            try:
                yield
            finally:
                self._depth.value = depth
            return
        self._enter(wait_limit_s)
        self._depth.value = 1
        try:
            yield
        finally:
            self._depth.value = 0
            with self._lock:
                self._inside -= 1
                self._lock.notify_all()

    def _enter(self, wait_limit_s: float) -> None:
        with self._lock:
            self._tickets += 1
            ticket = self._tickets
            self._queue.append(ticket)
            started = time.monotonic()
            deadline = started + wait_limit_s
            while not (self._inside < self.slots and self._queue[0] == ticket):
                left = deadline - time.monotonic()
                if left <= 0:
                    self.overrun += 1
                    break
                self._lock.wait(left)
            self._queue.remove(ticket)
            self._inside += 1
            if time.monotonic() - started > 0.001:
                self.waited += 1
            self._lock.notify_all()  # the next in line may fit too
