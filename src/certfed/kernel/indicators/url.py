"""URLs with a network scheme and a valid host.

Only the scheme and host are canonicalised; path, query and fragment are kept
byte for byte, because percent-decoding or re-encoding them could change
which resource a URL names, and analysts match on the exact string.
"""

from __future__ import annotations

import re

from . import domain, ipv4, ipv6
from .base import IndicatorType, InvalidIndicator, register

NAME = "url"
SCHEMES = frozenset({"http", "https", "ftp", "ftps", "sftp", "ws", "wss"})

# Stops at whitespace, quotes and angle brackets; extract() then trims trailing
# sentence punctuation.
PATTERN = re.compile(r"(?<![\w+.-])(?:https?|ftps?|sftp|wss?)://[^\s<>\"`]+", re.IGNORECASE)
# A domain-looking thing followed by a path also counts, so "example.com/x"
# gets the useful "has no scheme" error rather than "not recognised".
SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S*|(?![0-9.]+/)[^\s/:@]+\.[^\s/:@]+/\S*")

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_AUTHORITY_END = re.compile(r"[/?#]")
_PORT = re.compile(r"[0-9]{1,5}")
_IPV4_LIKE = re.compile(r"[0-9.]+")


def _normalise_host(value: str, host: str) -> str:
    try:
        if host.startswith("["):
            if not host.endswith("]"):
                raise InvalidIndicator(NAME, value, "unclosed '[' in host")
            return "[" + ipv6.normalise(host[1:-1]) + "]"
        if _IPV4_LIKE.fullmatch(host):
            return ipv4.normalise(host)
        return domain.normalise(host)
    except InvalidIndicator as exc:
        if exc.type == NAME:
            raise
        raise InvalidIndicator(NAME, value, f"host {host!r}: {exc.reason}") from None


def _split_host_port(value: str, hostport: str) -> tuple[str, str]:
    # A port is whatever follows the last ':' outside an IPv6 literal.
    if hostport.startswith("[") and "]" in hostport:
        end = hostport.index("]") + 1
        host, rest = hostport[:end], hostport[end:]
    else:
        host, colon, port = hostport.rpartition(":")
        if not colon:
            return hostport, ""
        rest = ":" + port
    if rest and not (rest[0] == ":" and _PORT.fullmatch(rest[1:])):
        raise InvalidIndicator(NAME, value, f"invalid port in {hostport!r}")
    if rest and int(rest[1:]) > 65535:
        raise InvalidIndicator(NAME, value, f"port {int(rest[1:])} is out of range")
    return host, rest


def normalise(value: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidIndicator(NAME, value, "it is empty")
    scheme, sep, remainder = value.partition("://")
    if not sep or not _SCHEME.fullmatch(scheme):
        raise InvalidIndicator(NAME, value, "it has no scheme (e.g. https://)")
    scheme = scheme.lower()
    if scheme not in SCHEMES:
        supported = ", ".join(sorted(SCHEMES))
        raise InvalidIndicator(NAME, value, f"scheme {scheme!r} is not one of {supported}")
    if any(ch.isspace() for ch in value):
        raise InvalidIndicator(NAME, value, "it contains whitespace")
    end = _AUTHORITY_END.search(remainder)
    cut = end.start() if end else len(remainder)
    authority, rest = remainder[:cut], remainder[cut:]
    userinfo, at, hostport = authority.rpartition("@")
    host, port = _split_host_port(value, hostport)
    if not host:
        raise InvalidIndicator(NAME, value, "it has no host")
    # Lowercasing is the host normalisers' job; a trailing root dot is dropped.
    host = _normalise_host(value, host)
    return f"{scheme}://{userinfo}{at}{host}{port}{rest}"


TYPE = register(IndicatorType(NAME, "url", normalise, PATTERN, SHAPE))
