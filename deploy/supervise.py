"""Keep N app processes alive: start them, probe their health, restart the dead and the hung.

    python -m deploy.supervise --processes 2 --first-port 8501 --state /var/lib/community-dashboards

Each process is `streamlit run app/server.py` on 127.0.0.1 at its own port (first-port, +1, …),
with this process's environment: every process must read the same cookie key and users file
(`.streamlit/secrets.toml` or SYL_COOKIE_KEY), so a login made on one is honoured by all.
Every `--probe-seconds` each process is checked:

- it exited: started again at once, or after a pause that doubles (up to a minute) while it
  keeps dying within `CRASH_WINDOW_S` of its start, so a broken configuration does not spin;
- `GET /_stcore/health` failed `--failures` times in a row (refused, an error or no answer in
  `PROBE_TIMEOUT_S`): the process is hung, so it is stopped (TERM, then KILL) and started again.
  A process that has just started has `START_GRACE_S` to answer before its failures count.

Each process's output goes to `<state>/app-<port>.log`; the supervisor writes what it does to
its own output, and the state of every process to `<state>/supervisor.json` after each round
(pid, port, health, restarts), which the tests and bench/load.py read. TERM or INT stops every
process and then the supervisor.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE_TIMEOUT_S = 3.0
START_GRACE_S = 60.0
CRASH_WINDOW_S = 30.0
MAX_PAUSE_S = 60.0
STOP_WAIT_S = 10.0


def app_command(port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", "app/server.py", "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"]


def healthy(port: int, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=timeout_s) as answer:  # noqa: S310
            return answer.status == 200
    except (OSError, ValueError):
        return False


@dataclass
class Slot:
    """One port and the process serving it now."""

    port: int
    pid: int | None = None
    started_at: float = 0.0
    restarts: int = 0
    failures: int = 0  # failed probes in a row
    healthy: bool = False
    ever_healthy: bool = False
    pause_s: float = 0.0  # before the next start, while it keeps crashing
    next_start: float = 0.0
    last_exit: str = ""
    process: subprocess.Popen | None = field(default=None, repr=False)

    def public(self) -> dict:
        return {item.name: getattr(self, item.name) for item in fields(self) if item.name != "process"}


class Supervisor:
    def __init__(self, ports: list[int], state: Path, failures: int = 3, command=app_command,
                 log=print) -> None:
        self.slots = [Slot(port) for port in ports]
        self.state = state
        self.failures = failures
        self.command = command
        self.log = log
        state.mkdir(parents=True, exist_ok=True)

    def start(self, slot: Slot, now: float) -> None:
        output = (self.state / f"app-{slot.port}.log").open("ab")
        slot.process = subprocess.Popen(self.command(slot.port), cwd=ROOT, stdout=output,  # noqa: S603
                                        stderr=subprocess.STDOUT, start_new_session=True)
        output.close()
        slot.pid, slot.started_at = slot.process.pid, now
        slot.failures, slot.healthy, slot.ever_healthy = 0, False, False
        self.log(f"started port {slot.port} as pid {slot.pid}")

    def stop(self, slot: Slot) -> None:
        process = slot.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _restart_later(self, slot: Slot, now: float, why: str) -> None:
        crashed_soon = now - slot.started_at < CRASH_WINDOW_S
        slot.pause_s = min(MAX_PAUSE_S, max(1.0, slot.pause_s * 2)) if crashed_soon else 0.0
        slot.next_start = now + slot.pause_s
        slot.restarts += 1
        slot.last_exit = why
        slot.process, slot.pid, slot.healthy = None, None, False
        self.log(f"port {slot.port}: {why}; starting again in {slot.pause_s:.0f} s")

    def check(self, slot: Slot, now: float, probe=healthy) -> None:
        """One round for one slot."""
        if slot.process is None:
            if now >= slot.next_start:
                self.start(slot, now)
            return
        code = slot.process.poll()
        if code is not None:
            self._restart_later(slot, now, f"exited with {code}")
            return
        if probe(slot.port):
            slot.failures, slot.healthy, slot.ever_healthy = 0, True, True
            return
        slot.healthy = False
        if not slot.ever_healthy and now - slot.started_at < START_GRACE_S:
            return  # still starting
        slot.failures += 1
        if slot.failures >= self.failures:
            self.stop(slot)
            self._restart_later(slot, now, f"no health answer {slot.failures} times in a row")

    def round(self, probe=healthy) -> None:
        for slot in self.slots:
            self.check(slot, time.monotonic(), probe)
        self.write_state()

    def write_state(self) -> None:
        path = self.state / "supervisor.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"supervisor": os.getpid(), "processes": [s.public() for s in self.slots]},
                                        indent=1), encoding="utf-8")
        temporary.replace(path)

    def stop_all(self) -> None:
        for slot in self.slots:
            self.stop(slot)
        self.write_state()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--first-port", type=int, default=8501)
    parser.add_argument("--state", type=Path, default=ROOT / "data" / "supervisor")
    parser.add_argument("--probe-seconds", type=float, default=5.0)
    parser.add_argument("--failures", type=int, default=3, help="failed probes in a row that mean hung")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    supervisor = Supervisor([args.first_port + i for i in range(args.processes)], args.state, args.failures,
                            log=lambda line: print(time.strftime("%H:%M:%S"), line, flush=True))
    stopping = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.append(True))
    try:
        while not stopping:
            supervisor.round()
            deadline = time.monotonic() + args.probe_seconds
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:  # the processes are in sessions of their own: stop them before the supervisor goes
        supervisor.stop_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
