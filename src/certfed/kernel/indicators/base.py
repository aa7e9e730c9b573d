"""Indicator types, their registry, and the type-generic entry points.

Pure Python on purpose: the kernel is shared by the web app, the CLI and batch
importers, none of which should need Django to validate an indicator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .refang import refang

# Error messages quote the offending value; cap it so a pasted megabyte does not
# end up in a log line or an HTTP response.
_MAX_SHOWN = 120


def _show(value: str) -> str:
    if len(value) <= _MAX_SHOWN:
        return repr(value)
    return repr(value[:_MAX_SHOWN]) + "..."


class InvalidIndicator(ValueError):
    """A value that is not a valid indicator of the given (or of any) type.

    ``type`` is None when the problem is not specific to one type: an unknown
    type name, or a value whose type could not be detected.
    """

    def __init__(self, type: str | None, value: str, reason: str) -> None:
        self.type = type
        self.value = value
        self.reason = reason
        super().__init__(self._message())

    def _message(self) -> str:
        if self.type is None:
            return f"{_show(self.value)} is {self.reason}"
        registered = TYPES.get(self.type)
        noun = registered.noun if registered else f"{self.type} value"
        return f"{_show(self.value)} is not a valid {noun}: {self.reason}"

    def __reduce__(self):  # keep pickling (e.g. across worker processes) working
        return (type(self), (self.type, self.value, self.reason))


@dataclass(frozen=True, slots=True)
class IndicatorType:
    """One kind of indicator.

    ``normalise`` expects an already refanged value; ``pattern`` finds
    candidates in free text for extract(); ``shape`` is a loose full-match
    used by detect_type(), deliberately wider than what is valid so a typo
    gets that type's specific error instead of "not recognised".
    """

    name: str
    noun: str
    normalise: Callable[[str], str]
    pattern: re.Pattern[str]
    shape: re.Pattern[str]


TYPES: dict[str, IndicatorType] = {}

# Most specific first: a url contains a domain, a cidr contains an address.
DETECT_ORDER = ("url", "cidr", "sha256", "sha1", "md5", "cve", "email", "ipv6", "ipv4", "domain")


def register(indicator_type: IndicatorType) -> IndicatorType:
    if indicator_type.name in TYPES:
        raise ValueError(f"indicator type {indicator_type.name!r} is already registered")
    TYPES[indicator_type.name] = indicator_type
    return indicator_type


def _lookup(type_name: str) -> IndicatorType:
    found = TYPES.get(type_name.strip().lower())
    if found is None:
        known = ", ".join(sorted(TYPES))
        raise InvalidIndicator(None, type_name, f"not a known indicator type (known: {known})")
    return found


def _check_str(value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"indicator value must be a str, not {type(value).__name__}")


# Fast path for bulk ingest: a value already in its type's canonical form (most machine
# feeds) is returned as it is, skipping refang and the full validation. Each pattern
# matches only strings that the type's normalise() returns unchanged; a property test
# (tests/kernel/test_fast_path.py) holds them to that.
_CANONICAL: dict[str, re.Pattern[str]] = {}
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_CANONICAL.update(
    {
        "ipv4": re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}"),
        # No "xn--" labels (their punycode is checked) and a letter-led TLD without "_".
        "domain": re.compile(
            rf"(?!.*xn--)(?=.{{4,253}}$)(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?"
        ),
        "md5": re.compile(r"[0-9a-f]{32}"),
        "sha1": re.compile(r"[0-9a-f]{40}"),
        "sha256": re.compile(r"[0-9a-f]{64}"),
        "cve": re.compile(r"CVE-(?:1999|2[0-9]{3})-[0-9]{4,}"),
    }
)


def normalise(type_name: str, value: str) -> str:
    """Refang, strip and canonicalise ``value`` as ``type_name``; raise InvalidIndicator."""
    indicator_type = _lookup(type_name)
    _check_str(value)
    fast = _CANONICAL.get(indicator_type.name)
    if fast is not None and fast.fullmatch(value):
        return value
    try:
        return indicator_type.normalise(refang(value).strip())
    except InvalidIndicator as exc:
        # Report the value as the caller wrote it, not our refanged copy.
        raise InvalidIndicator(exc.type, value, exc.reason) from None


def detect_type(value: str) -> str | None:
    """Name of the most specific type whose syntax ``value`` has, or None."""
    _check_str(value)
    candidate = refang(value).strip()
    for name in DETECT_ORDER:
        if TYPES[name].shape.fullmatch(candidate):
            return name
    return None


def normalise_any(value: str, type_name: str | None = None) -> tuple[str, str]:
    """Return ``(type, canonical value)``, detecting the type when none is given."""
    if type_name is None:
        detected = detect_type(value)
        if detected is None:
            raise InvalidIndicator(None, value, "not a recognised indicator value")
        type_name = detected
    canonical_name = _lookup(type_name).name
    return canonical_name, normalise(canonical_name, value)


def normalise_slow(type_name: str, value: str) -> str:
    """normalise() without the canonical-form fast path (for tests of that fast path)."""
    indicator_type = _lookup(type_name)
    _check_str(value)
    try:
        return indicator_type.normalise(refang(value).strip())
    except InvalidIndicator as exc:
        raise InvalidIndicator(exc.type, value, exc.reason) from None
