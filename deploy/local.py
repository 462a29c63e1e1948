"""The whole deployment on one machine without root: the supervisor's N processes and a private nginx.

    .venv/bin/python -m deploy.local --processes 2 --listen 8080      (until Ctrl-C)

The same parts as a real deployment (deploy/README.md): `deploy.supervise` runs the app
processes, and Debian's nginx runs the site of `deploy.nginx_site`, here as a whole nginx of its
own under `<state>/nginx` (its access log names the process that served each request). The
tests and bench/load.py start it this way too. The processes get this process's environment
plus `SYL_CLIENT_ADDRESS_HEADER=X-Real-IP` (the site sets it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from deploy import nginx_site

ROOT = Path(__file__).resolve().parent.parent
NGINX_PATHS = ("/usr/sbin/nginx", "/usr/bin/nginx")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((path for path in NGINX_PATHS if Path(path).exists()), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> int:
    """The first of `count` free ports in a row."""
    for _ in range(100):
        first = free_port()
        try:
            for port in range(first + 1, first + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError(f"no {count} free ports in a row")


class LocalDeployment:
    def __init__(self, state: Path, processes: int = 2, listen: int | None = None, first_port: int | None = None,
                 env: dict[str, str] | None = None, probe_seconds: float = 5.0, failures: int = 3) -> None:
        self.state = Path(state)
        first = first_port or free_ports(processes)
        self.ports = [first + i for i in range(processes)]
        self.listen = listen or free_port()
        self.base = f"http://127.0.0.1:{self.listen}"
        self.env = os.environ | {"SYL_CLIENT_ADDRESS_HEADER": "X-Real-IP"} | (env or {})
        self.probe_seconds, self.failures = probe_seconds, failures
        self.supervisor: subprocess.Popen | None = None
        self.nginx: subprocess.Popen | None = None

    @property
    def prefix(self) -> Path:
        return self.state / "nginx"

    def start(self, timeout_s: float = 120.0) -> LocalDeployment:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.supervisor = subprocess.Popen(  # noqa: S603 - our own supervisor, fixed arguments
            [sys.executable, "-m", "deploy.supervise", "--processes", str(len(self.ports)),
             "--first-port", str(self.ports[0]), "--state", str(self.state / "supervisor"),
             "--probe-seconds", str(self.probe_seconds), "--failures", str(self.failures)],
            cwd=ROOT, env=self.env, stdout=(self.state / "supervisor.log").open("ab"), stderr=subprocess.STDOUT)
        conf = self.prefix / "nginx.conf"
        conf.write_text(nginx_site.standalone(str(self.prefix), self.ports, self.listen), encoding="utf-8")
        self.nginx = subprocess.Popen([binary, "-p", str(self.prefix), "-c", str(conf)],  # noqa: S603
                                      stdout=subprocess.DEVNULL, stderr=(self.prefix / "stderr.log").open("ab"))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.supervisor.poll() is not None or self.nginx.poll() is not None:
                break
            if len([p for p in self.processes() if p["healthy"]]) == len(self.ports):
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the deployment did not start in {timeout_s:.0f} s; see {self.state}")

    def processes(self) -> list[dict]:
        """The supervisor's last word on every app process (port, pid, healthy, restarts …)."""
        try:
            return json.loads((self.state / "supervisor" / "supervisor.json").read_text(encoding="utf-8"))["processes"]
        except (OSError, ValueError, KeyError):
            return []

    def pid(self, port: int) -> int | None:
        return next((p["pid"] for p in self.processes() if p["port"] == port), None)

    def served(self, route: str) -> list[int]:
        """The app port that answered each finished request of the tab with this route cookie, in
        order (nginx logs a websocket when it closes; of several tried, the last answered)."""
        log = self.prefix / "access.log"
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        ports = []
        for line in lines:
            found = re.search(r"upstream=(.+?) route=(\S+)", line)
            if found and found.group(2) == route:
                ports.append(int(found.group(1).split(", ")[-1].rsplit(":", 1)[1]))
        return ports

    def stop(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            self.nginx.wait(10)
        if self.supervisor is not None and self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGTERM)  # it stops its processes first
            self.supervisor.wait(60)

    def __enter__(self) -> LocalDeployment:
        return self.start()

    def __exit__(self, *_) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--listen", type=int, default=8080)
    parser.add_argument("--first-port", type=int, default=8501)
    parser.add_argument("--state", type=Path, default=ROOT / "data" / "local-deployment")
    args = parser.parse_args(argv)
    deployment = LocalDeployment(args.state, args.processes, args.listen, args.first_port)
    stopping = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.append(True))
    try:
        deployment.start()
        print(f"{deployment.base} -> app processes on ports {deployment.ports}; state in {args.state}", flush=True)
        while not stopping and deployment.supervisor.poll() is None and deployment.nginx.poll() is None:
            time.sleep(0.5)
    except RuntimeError as error:
        print(f"deploy.local: {error}", file=sys.stderr)
        return 1
    finally:
        deployment.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
