"""Email addresses: one '@', a plain local part, a valid domain; lowercased."""

from __future__ import annotations

import re

from . import domain
from .base import IndicatorType, InvalidIndicator, register

NAME = "email"

# The local part is kept to the characters seen in practice, which keeps
# quotes and brackets around an address in prose out of the match.
PATTERN = re.compile(r"(?<![\w.+%-])[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
SHAPE = re.compile(r"[^\s@]*@\S*")

_MAX_LOCAL = 64


def normalise(value: str) -> str:
    value = value.strip()
    if value.count("@") != 1:
        raise InvalidIndicator(
            NAME, value, f"it must contain exactly one '@', not {value.count('@')}"
        )
    local, _, host = value.partition("@")
    if not local:
        raise InvalidIndicator(NAME, value, "the local part (before '@') is empty")
    if len(local) > _MAX_LOCAL:
        raise InvalidIndicator(
            NAME, value, f"the local part is longer than {_MAX_LOCAL} characters"
        )
    if any(ch.isspace() or not ch.isprintable() for ch in local):
        raise InvalidIndicator(
            NAME, value, "the local part contains whitespace or control characters"
        )
    try:
        host = domain.normalise(host)
    except InvalidIndicator as exc:
        raise InvalidIndicator(NAME, value, f"domain part: {exc.reason}") from None
    # Lowercasing the local part is technically lossy (RFC 5321) but no real
    # mail provider treats case as significant, and it makes dedup work.
    return f"{local.lower()}@{host}"


TYPE = register(IndicatorType(NAME, "email address", normalise, PATTERN, SHAPE))
