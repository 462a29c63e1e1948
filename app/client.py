"""The visitor's address, the same whether a Streamlit session or an HTTP route asks.

Streamlit's websocket and the auth routes see the address in different spellings
(``::ffff:127.0.0.1``, ``127.0.0.1``, None for localhost); login tickets are bound to it, so
both sides normalise here. Behind a reverse proxy the connection's address is the proxy's: the
`client_address_header` setting names the header the proxy fills (its first entry is used).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

LOCAL = "local"


def normalise(address: object) -> str:
    if not isinstance(address, str) or not address:
        return LOCAL
    text = address.strip().split(",")[0].strip()
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return text[:64] or LOCAL
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return LOCAL if parsed.is_loopback else str(parsed)


def address(connection_address: str | None, headers: Mapping[str, str] | None, header: str) -> str:
    """The visitor's normalised address: from `header` when one is configured and present."""
    if header and isinstance(headers, Mapping):
        forwarded = next((v for k, v in headers.items() if str(k).lower() == header.lower()), None)
        if forwarded:
            return normalise(forwarded)
    return normalise(connection_address)
