"""Which addresses fetching may connect to, and an httpx transport that connects only to those it checked.

A page can name any host, and any host can redirect anywhere: without this, a public page
redirecting to 127.0.0.1 or 169.254.169.254 (the cloud metadata service) would be fetched and
published. The check is made on the address the connection then uses, not on a separate lookup
that DNS could answer differently a moment later.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# `allow_private_addresses: true` in sources.yaml.
EVERY_NETWORK: tuple[IPNetwork, ...] = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
# DNS64's well-known prefix: the last 32 bits are the IPv4 address a NAT64 gateway connects to.
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
# In the order they are named: 127.0.0.1 is loopback (and private), 169.254.169.254 link-local.
ADDRESS_KINDS = ("loopback", "link_local", "multicast", "unspecified", "private", "reserved")


class PrivateAddressError(httpx.TransportError):
    """A host that resolves to an address its source does not allow: nothing was sent to it."""


def non_public_kind(address: IPAddress) -> str | None:
    """What makes `address` not public ("loopback", "link-local", …), or None for a public address.

    An IPv6 address carrying an IPv4 one (IPv4-mapped, 6to4, NAT64) is judged as that IPv4 address.
    """
    address = judged_address(address)
    for kind in ADDRESS_KINDS:
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "not globally reachable"  # e.g. 100.64.0.0/10 (carrier NAT)


def judged_address(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (IPv4-mapped, 6to4, NAT64), else the address itself."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour or address


def is_allowed(address: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    """Whether fetching may connect to `address`: a public one, or one in the `allowed` networks."""
    judged = judged_address(address)
    return non_public_kind(judged) is None or any(judged in network for network in allowed)


class CheckedTransport(httpx.BaseTransport):
    """Resolves each request's host itself, refuses it when any of its addresses is neither
    public nor in `allowed` (PrivateAddressError), and connects to the addresses it checked, in
    resolver order, so DNS is asked once and cannot answer differently for the connection.

    The request keeps its host in the Host header and in TLS (SNI and certificate check). Each
    host gets its own connection pool, so two sites sharing an address never share a TLS session.
    """

    def __init__(self, allowed: Sequence[IPNetwork] = (), transport: httpx.BaseTransport | None = None):
        self._allowed = tuple(allowed)
        self._shared = transport  # a caller's transport, used for every host
        self._per_host: dict[str, httpx.BaseTransport] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.raw_host.decode("ascii")
        error: httpx.TransportError | None = None
        for address in self._checked_addresses(request):
            pinned = httpx.Request(
                request.method,
                request.url.copy_with(host=str(address)),
                headers=request.headers,  # holds the Host header of the original URL
                stream=request.stream,
                extensions={**request.extensions, "sni_hostname": host},
            )
            try:
                return self._transport_for(host).handle_request(pinned)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # try the host's next address
                error = exc
        assert error is not None  # _checked_addresses returns at least one address
        raise error

    def _checked_addresses(self, request: httpx.Request) -> list[IPAddress]:
        host = request.url.raw_host.decode("ascii")
        try:
            found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:  # no such host: a connection error, as in httpx
            raise httpx.ConnectError(f"{host}: {exc}", request=request) from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))
        for address in addresses:
            if not is_allowed(address, self._allowed):
                shown = host if _is_ip_literal(host) else f"{host} resolves to {address}"
                raise PrivateAddressError(
                    f"{shown}, a {non_public_kind(address)} address: not fetched "
                    "(a source may allow it with allow_private_addresses)",
                    request=request,
                )
        if not addresses:
            raise httpx.ConnectError(f"{host}: no address", request=request)
        return addresses

    def _transport_for(self, host: str) -> httpx.BaseTransport:
        if self._shared is not None:
            return self._shared
        if host not in self._per_host:
            self._per_host[host] = httpx.HTTPTransport()
        return self._per_host[host]

    def close(self) -> None:
        for transport in [*self._per_host.values(), *([self._shared] if self._shared else [])]:
            transport.close()


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
