"""Where a webhook may go: never to private, loopback or link-local addresses (unless allowed), never redirected off-host.

The host is resolved before every delivery and each of its addresses checked, so a name
that points inside the network is refused as well as a literal address.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class AddressRefused(ValueError):
    """The URL may not be delivered to; the message says why, for the endpoint's record."""


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused(f"{url!r} is not an http(s) URL")
    return scheme, parts.hostname.lower(), parts.port or (443 if scheme == "https" else 80)


def same_origin(url: str, other: str) -> bool:
    return _origin(url) == _origin(other)


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _literal_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def check_url(url: str, *, resolve: bool = True) -> None:
    """Raise AddressRefused unless `url` is http(s) to a host whose every address may be called.

    resolve=False (registration, inside the admin's transaction) checks without a DNS lookup:
    literal addresses and `localhost` names only; the delivery resolves and checks again.
    """
    _scheme, host, port = _origin(url)
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    literal = _literal_address(host)
    if literal is not None:
        addresses = [literal]
    elif host == "localhost" or host.endswith(".localhost"):
        addresses = ["127.0.0.1"]
    elif not resolve:
        return
    else:
        try:
            addresses = [info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]
        except (socket.gaierror, UnicodeError) as error:
            raise AddressRefused(f"cannot resolve {host}: {error}") from None
    for address in addresses:
        if not _is_public(address):
            raise AddressRefused(
                f"{host} resolves to {address}, a private, loopback or reserved address; "
                "set WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true to allow it"
            )
