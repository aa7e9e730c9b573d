"""File hashes (md5, sha1, sha256): hex of a fixed length, lowercased."""

from __future__ import annotations

import re

from .base import IndicatorType, InvalidIndicator, register

_NON_HEX = re.compile(r"[^0-9a-fA-F]")


def _hash_type(name: str, length: int) -> IndicatorType:
    def normalise(value: str) -> str:
        value = value.strip()
        bad = _NON_HEX.search(value)
        if bad:
            raise InvalidIndicator(
                name, value, f"it contains the non-hex character {bad.group()!r}"
            )
        if len(value) != length:
            raise InvalidIndicator(
                name, value, f"it has {len(value)} hex digits, expected {length}"
            )
        return value.lower()

    # A whole token only: not part of a longer hex run, a word, a dotted name
    # (d41d...27e.evil.com is a domain) or a dashed identifier. The first digit
    # precedes the lookbehind so the engine can skip ahead by character class.
    pattern = re.compile(
        rf"[0-9a-fA-F](?<![\w.-][0-9a-fA-F])[0-9a-fA-F]{{{length - 1}}}(?![\w-]|\.\w)"
    )
    shape = re.compile(rf"[0-9a-fA-F]{{{length}}}")
    normalise.__name__ = f"normalise_{name}"
    return register(IndicatorType(name, f"{name} hash", normalise, pattern, shape))


MD5 = _hash_type("md5", 32)
SHA1 = _hash_type("sha1", 40)
SHA256 = _hash_type("sha256", 64)
