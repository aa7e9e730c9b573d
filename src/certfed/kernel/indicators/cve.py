"""CVE identifiers, canonical uppercase CVE-YYYY-NNNN."""

from __future__ import annotations

import re

from .base import IndicatorType, InvalidIndicator, register

NAME = "cve"

# "C" before the lookbehind lets the engine skip straight to candidate letters.
PATTERN = re.compile(r"C(?<![\w-]C)VE-[0-9]{4}-[0-9]{4,}(?![\w-])", re.IGNORECASE)
# Loose on purpose: "CVE-2024-12" should be told its sequence is too short.
SHAPE = re.compile(r"CVE-[0-9]+-[0-9]+", re.IGNORECASE)

_STRICT = re.compile(r"CVE-([0-9]{4})-([0-9]{4,})", re.IGNORECASE)
# The CVE list starts in 1999; earlier "years" are typos.
_FIRST_YEAR = 1999


def normalise(value: str) -> str:
    value = value.strip()
    match = _STRICT.fullmatch(value)
    if not match:
        raise InvalidIndicator(
            NAME, value, "expected CVE-YYYY-NNNN (a 4-digit year and at least 4 digits)"
        )
    year, sequence = match.groups()
    if int(year) < _FIRST_YEAR:
        raise InvalidIndicator(NAME, value, f"year {year} is before the first CVE year (1999)")
    return f"CVE-{year}-{sequence}"


TYPE = register(IndicatorType(NAME, "cve identifier", normalise, PATTERN, SHAPE))
