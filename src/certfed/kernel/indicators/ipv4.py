"""IPv4 addresses, canonical dotted quad."""

from __future__ import annotations

import ipaddress
import re

from .base import IndicatorType, InvalidIndicator, register

NAME = "ipv4"

# Not preceded by a word or "word." and not followed by a word or ".word", so
# version strings like 1.2.3.4.5 and names like 1.2.3.4.nip.io are not cut up.
# The first digit comes before the lookbehinds so the regex engine can skip
# ahead to digits instead of trying the lookbehinds at every position (~4x faster).
PATTERN = re.compile(r"[0-9](?<!\w[0-9])(?<!\w\.[0-9])[0-9]{0,2}(?:\.[0-9]{1,3}){3}(?!\w|\.\w)")
SHAPE = re.compile(r"[0-9]+(?:\.[0-9]+){3}")


def normalise(value: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidIndicator(NAME, value, "it is empty")
    octets = value.split(".")
    if len(octets) != 4:
        raise InvalidIndicator(NAME, value, f"expected 4 dot-separated octets, got {len(octets)}")
    for octet in octets:
        # [0-9] rather than str.isdigit(), which also accepts e.g. Arabic-Indic digits.
        if not re.fullmatch(r"[0-9]+", octet):
            raise InvalidIndicator(NAME, value, f"octet {octet!r} is not a decimal number")
        # Leading zeros are rejected because some parsers read them as octal.
        if len(octet) > 1 and octet[0] == "0":
            raise InvalidIndicator(NAME, value, f"octet {octet!r} has a leading zero")
        if int(octet) > 255:
            raise InvalidIndicator(NAME, value, f"octet {int(octet)} is out of range")
    return str(ipaddress.IPv4Address(value))


TYPE = register(IndicatorType(NAME, "ipv4 address", normalise, PATTERN, SHAPE))
