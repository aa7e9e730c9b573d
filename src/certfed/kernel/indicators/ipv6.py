"""IPv6 addresses, canonical compressed lowercase form."""

from __future__ import annotations

import ipaddress
import re

from .base import IndicatorType, InvalidIndicator, register

NAME = "ipv6"

# Candidates only; ipaddress decides. The lookahead insists on a hex digit so a
# bare "::" in prose (C++, Haskell, reStructuredText) is not reported.
PATTERN = re.compile(
    r"(?<![\w:])(?=[0-9A-Fa-f:]*[0-9A-Fa-f])"
    r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f]{1,4})?"
    r"(?![\w:]|\.\w)"
)
SHAPE = re.compile(r"\[?(?=[^:]*:[^:]*:)[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]?")


def normalise(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == "[" and value[-1] == "]":
        value = value[1:-1]
    if not value:
        raise InvalidIndicator(NAME, value, "it is empty")
    if ":" not in value:
        raise InvalidIndicator(NAME, value, "it has no ':'")
    try:
        return ipaddress.IPv6Address(value).compressed
    except ValueError as exc:
        # ipaddress repeats the whole value ("... in '1:2:3'"); ours is already quoted.
        reason = re.sub(r" in '[^']*'$", "", str(exc))
        raise InvalidIndicator(NAME, value, reason[:1].lower() + reason[1:]) from None


TYPE = register(IndicatorType(NAME, "ipv6 address", normalise, PATTERN, SHAPE))
