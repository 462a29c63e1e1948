"""The nginx site in front of N app processes: sticky sessions, websockets, passive health checks.

    python -m deploy.nginx_site --ports 8501,8502 > /etc/nginx/sites-available/community-dashboards
    python -m deploy.nginx_site --ports 8501,8502 --listen 443 --certificate /etc/ssl/x.pem \\
        --certificate-key /etc/ssl/x.key > /etc/nginx/sites-available/community-dashboards
    python -m deploy.nginx_site --ports 8501,8502 --listen 8080 --standalone /tmp/lb > /tmp/lb/nginx.conf
    nginx -p /tmp/lb -c /tmp/lb/nginx.conf          (a whole nginx of its own, no root needed)

Streamlit keeps a visitor's session in the one process that holds its websocket, so every
request of a tab must reach the same process. nginx 1.22 (Debian's) has no sticky cookie of its
own, so the site makes one: the first answer sets `syl_route` to a random value, and requests
are spread by a consistent hash of it. A tab's page, its websocket and its login-cookie route
therefore all reach one process, while many visitors behind one address (a district office's
NAT) are still spread over all of them, as hashing by address would not.

Health: nginx checks passively. A process that refuses a connection or times out is skipped
for `fail_timeout` and the request goes to the next one (an HTTP request is retried there; a
websocket is not, the browser reconnects and lands on a live process). The supervisor
(`deploy/supervise.py`) probes `/_stcore/health` itself and restarts a dead process.

The visitor's address is passed in X-Real-IP (overwritten, never appended): set the app's
`client_address_header = "X-Real-IP"` so the login throttle sees visitors, not the proxy.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

ROUTE_COOKIE = "syl_route"
FAIL_TIMEOUT_S = 10


def _proxy(upstream: str) -> str:
    return f"""\
        proxy_pass http://{upstream};
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_connect_timeout 3s;"""


def site(ports: list[int], listen: int = 80, server_name: str = "_", upstream: str = "community_dashboards",
         certificate: str | None = None, certificate_key: str | None = None,
         access_log: str = "/var/log/nginx/community-dashboards.access.log") -> str:
    """The http-level blocks of the site (what goes in sites-available)."""
    if not ports:
        raise ValueError("at least one app port")
    tls = certificate is not None
    if tls and not certificate_key:
        raise ValueError("a certificate needs its key")
    servers = "\n".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s;" for port in ports)
    secure = "; Secure" if tls else ""
    listen_line = f"listen {listen} ssl;" if tls else f"listen {listen};"
    tls_lines = (f"\n    ssl_certificate {certificate};\n    ssl_certificate_key {certificate_key};"
                 "\n    ssl_protocols TLSv1.2 TLSv1.3;") if tls else ""
    return f"""\
# Community dashboards: {len(ports)} app processes behind one address (deploy/nginx_site.py).
map $cookie_{ROUTE_COOKIE} ${upstream}_route {{
    ""      $request_id;
    default $cookie_{ROUTE_COOKIE};
}}

map $http_upgrade $connection_upgrade {{
    default upgrade;
    ""      "";
}}

log_format {upstream} '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                      'upstream=$upstream_addr route=${upstream}_route rt=$request_time';

upstream {upstream} {{
    hash ${upstream}_route consistent;
{servers}
    keepalive 32;
}}

server {{
    {listen_line}
    server_name {server_name};{tls_lines}
    access_log {access_log} {upstream};
    client_max_body_size 2m;

    # The websocket: one per tab, open for as long as the tab is.
    location = /_stcore/stream {{
{_proxy(upstream)}
        proxy_read_timeout 1h;
        proxy_send_timeout 1h;
        proxy_buffering off;
    }}

    location / {{
{_proxy(upstream)}
        proxy_read_timeout 60s;
        proxy_next_upstream error timeout http_502 http_503;
        proxy_next_upstream_tries 2;
        add_header Set-Cookie "{ROUTE_COOKIE}=${upstream}_route; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax{secure}";
    }}
}}
"""


def standalone(prefix: str, ports: list[int], listen: int, **options) -> str:
    """A whole nginx.conf that runs under `prefix` as the current user: for tests and benchmarks."""
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""  # workers would be nobody
    paths = "\n".join(f"    {name}_temp_path {prefix}/{name};" for name in
                      ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    body = site(ports, listen, access_log=f"{prefix}/access.log", **options)
    indented = "\n".join(("    " + line) if line else "" for line in body.splitlines())
    return f"""\
{user}daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
{paths}
{indented}
}}
"""


def _ports(text: str) -> list[int]:
    ports = [int(part) for part in text.split(",") if part.strip()]
    if not ports or any(not 0 < port < 65536 for port in ports):
        raise argparse.ArgumentTypeError("ports: a comma-separated list such as 8501,8502")
    return ports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=_ports, required=True, help="the app processes' ports, e.g. 8501,8502")
    parser.add_argument("--listen", type=int, default=80)
    parser.add_argument("--server-name", default="_")
    parser.add_argument("--certificate", help="TLS certificate (then the site speaks HTTPS only)")
    parser.add_argument("--certificate-key")
    parser.add_argument("--standalone", metavar="PREFIX", help="print a whole nginx.conf that runs under PREFIX")
    args = parser.parse_args(argv)
    options = {"server_name": args.server_name, "certificate": args.certificate,
               "certificate_key": args.certificate_key}
    try:
        if args.standalone:
            os.makedirs(args.standalone, exist_ok=True)
            text = standalone(os.path.abspath(args.standalone), args.ports, args.listen, **options)
        else:
            text = site(args.ports, args.listen, **options)
    except ValueError as error:
        print(f"nginx_site: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
