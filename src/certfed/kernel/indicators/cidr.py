"""CIDR networks (v4 and v6), canonical network address with host bits cleared."""

from __future__ import annotations

import ipaddress
import re

from . import ipv4, ipv6
from .base import IndicatorType, InvalidIndicator, register

NAME = "cidr"

PATTERN = re.compile(
    r"(?<![\w:])(?<!\w\.)"
    r"(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}"
    r"|(?=[0-9A-Fa-f:]*[0-9A-Fa-f])(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f]{1,4})?)"
    r"/[0-9]{1,3}(?![\w/]|\.\w)"
)
SHAPE = re.compile(r"[0-9A-Fa-f:.\[\]]+/\S*")


def normalise(value: str) -> str:
    value = value.strip()
    address, slash, prefix = value.partition("/")
    if not slash:
        raise InvalidIndicator(NAME, value, "it has no '/prefix-length'")
    # Only a plain prefix length: netmask notation is rare in intel and ambiguous to read.
    if not re.fullmatch(r"[0-9]{1,3}", prefix):
        raise InvalidIndicator(NAME, value, f"prefix length {prefix!r} is not a number")
    version, maximum = (6, 128) if ":" in address else (4, 32)
    if int(prefix) > maximum:
        raise InvalidIndicator(
            NAME, value, f"prefix length {int(prefix)} is out of range (0-{maximum})"
        )
    try:
        # Reuse the address types so e.g. a leading-zero octet gets the same reason.
        address = (ipv6 if version == 6 else ipv4).normalise(address)
    except InvalidIndicator as exc:
        raise InvalidIndicator(NAME, value, f"address part: {exc.reason}") from None
    if "%" in address:
        raise InvalidIndicator(NAME, value, "a network cannot have a scope id")
    return str(ipaddress.ip_network(f"{address}/{int(prefix)}", strict=False))


TYPE = register(IndicatorType(NAME, "cidr network", normalise, PATTERN, SHAPE))
