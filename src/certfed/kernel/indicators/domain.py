"""Domain names: lowercase, no trailing dot, internationalised names as punycode."""

from __future__ import annotations

import functools
import re

from .base import IndicatorType, InvalidIndicator, register

NAME = "domain"

# Deliberately loose (any word characters, so IDNs are found too); extract()
# validates each candidate and checks its TLD against the public suffix list.
PATTERN = re.compile(r"(?<![\w-])[\w-]+(?:\.[\w-]+)+")
SHAPE = re.compile(r"[^\s/:@]+\.[^\s/:@]+")

# Underscores are not valid in hostnames but are in DNS names, and malware
# infrastructure really does use them, so they are allowed below the TLD.
_BAD_CHAR = re.compile(r"[^a-z0-9_-]")
_MAX_LENGTH = 253
# The label separators IDNA recognises (ASCII, ideographic, fullwidth, halfwidth).
_IDNA_DOTS = re.compile("[.\u3002\uff0e\uff61]")


@functools.lru_cache(maxsize=4096)
def _idna_label(label: str) -> str:
    # The idna codec costs tens of microseconds per label; text that mentions an
    # IDN usually repeats its labels, so caching keeps extract() fast.
    if label.isascii():
        label.encode("ascii").decode("idna")  # only validates an "xn--" label
        return label
    return label.encode("idna").decode("ascii")


def _short(label: str) -> str:
    return repr(label) if len(label) <= 24 else repr(label[:20]) + "..."


def _to_ascii(value: str, label: str) -> str:
    try:
        return _idna_label(label)
    except UnicodeError as exc:
        # The codec nests its messages: "encoding with 'idna' codec failed (UnicodeError: ...)".
        detail = str(exc).rsplit("UnicodeError: ", 1)[-1].rstrip(")")
        raise InvalidIndicator(
            NAME, value, f"label {_short(label)} is not valid IDNA ({detail})"
        ) from None


def _check_label(value: str, label: str) -> None:
    if not label:
        raise InvalidIndicator(NAME, value, "it has an empty label")
    if len(label) > 63:
        raise InvalidIndicator(NAME, value, f"label {_short(label)} is longer than 63 characters")
    bad = _BAD_CHAR.search(label)
    if bad:
        raise InvalidIndicator(NAME, value, f"label {_short(label)} contains {bad.group()!r}")
    if label[0] == "-" or label[-1] == "-":
        raise InvalidIndicator(NAME, value, f"label {label!r} starts or ends with a hyphen")


def normalise(value: str) -> str:
    value = value.strip().lower()
    if value.endswith("."):
        value = value[:-1]
    if not value:
        raise InvalidIndicator(NAME, value, "it is empty")
    # Bound the work the IDNA codec may do on a pasted blob.
    if len(value) > 4 * _MAX_LENGTH:
        raise InvalidIndicator(NAME, value, f"it is longer than {_MAX_LENGTH} characters")
    if not value.isascii() or "xn--" in value:
        value = ".".join(
            _to_ascii(value, label) if not label.isascii() or label.startswith("xn--") else label
            for label in _IDNA_DOTS.split(value)
        )
    if len(value) > _MAX_LENGTH:
        raise InvalidIndicator(NAME, value, f"it is longer than {_MAX_LENGTH} characters")
    labels = value.split(".")
    if len(labels) < 2:
        raise InvalidIndicator(NAME, value, "it needs at least two labels (e.g. example.com)")
    for label in labels:
        _check_label(value, label)
    tld = labels[-1]
    # An all-numeric TLD would make every IPv4 address a domain.
    if tld.isdigit():
        raise InvalidIndicator(NAME, value, f"top-level label {tld!r} is all-numeric")
    if "_" in tld:
        raise InvalidIndicator(NAME, value, f"top-level label {tld!r} contains '_'")
    return value


TYPE = register(IndicatorType(NAME, "domain name", normalise, PATTERN, SHAPE))
