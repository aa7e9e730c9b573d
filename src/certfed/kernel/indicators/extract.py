"""Best-effort extraction of indicators from free text (a pasted advisory or email).

Each type's regex runs once over the refanged text. Network-ish types run in
order of specificity and claim the characters they match, so that the host of
a url, the domain of an email, the address of a cidr and so on are not
reported a second time. Hashes and CVEs are unambiguous tokens and are
reported wherever they appear, even inside a url (a VirusTotal or NVD link is
often the only place an advisory gives them).
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterator

from publicsuffixlist import PublicSuffixList

from .base import TYPES, InvalidIndicator
from .refang import refang

# Order matters: each of these skips text already claimed by an earlier one.
_CLAIMING = ("url", "email", "cidr", "ipv6", "ipv4", "domain")
_ANYWHERE = ("sha256", "sha1", "md5", "cve")

_URL_TRAILING = ".,;:!?'\")]>"

# A pass whose type cannot occur without this substring is skipped outright:
# a str search is far cheaper than a regex scan of the whole text.
_REQUIRED = {"url": "://", "email": "@", "cidr": "/", "ipv6": ":"}


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    # Built on first use (about 50 ms); the package ships its own copy of the list.
    return PublicSuffixList()


@functools.lru_cache(maxsize=4096)
def _known_tld(tld: str) -> bool:
    return _public_suffixes().publicsuffix(tld, accept_unknown=False) is not None


def _has_known_tld(name: str) -> bool:
    # Filenames such as report.pdf or invoice.pdf.exe look exactly like domains;
    # a real TLD is the cheapest reliable way to tell them apart.
    return _known_tld(name.rpartition(".")[2].lower())


def _trim_url(url: str) -> str:
    """Drop sentence punctuation glued to the end of a url, keeping balanced brackets."""
    opened = {")": url.count("("), "]": url.count("[")}
    closed = {")": url.count(")"), "]": url.count("]")}
    end = len(url)
    while end and url[end - 1] in _URL_TRAILING:
        char = url[end - 1]
        if char in closed:
            # "http://en.wikipedia.org/wiki/Foo_(bar)" and "http://[::1]" keep theirs.
            if closed[char] <= opened[char]:
                break
            closed[char] -= 1
        end -= 1
    return url[:end]


class _Claims:
    """Sorted, disjoint character spans already attributed to an indicator."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self._starts, start)
        if i and self._ends[i - 1] > start:
            return True
        return i < len(self._starts) and self._starts[i] < end

    def add(self, spans: list[tuple[int, int]]) -> None:
        # New spans never overlap old ones (they were checked), so a merge keeps it disjoint.
        merged = sorted([*zip(self._starts, self._ends, strict=True), *spans])
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]


def _candidates(name: str, text: str) -> Iterator[tuple[int, str]]:
    for match in TYPES[name].pattern.finditer(text):
        raw = match.group()
        yield match.start(), _trim_url(raw) if name == "url" else raw


# Cheap checks on the raw candidate, before normalising, and on the result.
_PREFILTER: dict[str, Callable[[str], bool]] = {
    # The list knows TLDs in both unicode and punycode form, so this works for IDNs too.
    "domain": _has_known_tld,
}
_POSTFILTER: dict[str, Callable[[str], bool]] = {
    "domain": _has_known_tld,  # an IDN's TLD can only be checked once it is punycode
    "email": _has_known_tld,  # keeps icon@2x.png out
}


def extract(text: str) -> list[tuple[str, str]]:
    """Indicators in ``text`` as ``(type, normalised value)``, deduplicated, in order of
    first appearance. Invalid candidates are skipped silently."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    text = refang(text)
    found: list[tuple[int, int, str, str]] = []
    claims = _Claims()
    # Advisories repeat their indicators; normalise each distinct candidate once.
    memo: dict[tuple[str, str], str | None] = {}
    for rank, name in enumerate(_CLAIMING + _ANYWHERE):
        if name in _REQUIRED and _REQUIRED[name] not in text:
            continue
        normalise = TYPES[name].normalise
        prefilter = _PREFILTER.get(name)
        postfilter = _POSTFILTER.get(name)
        claiming = name in _CLAIMING
        spans: list[tuple[int, int]] = []
        for start, raw in _candidates(name, text):
            end = start + len(raw)
            if claiming and claims.overlaps(start, end):
                continue
            if prefilter and not prefilter(raw):
                continue
            key = (name, raw)
            if key in memo:
                value = memo[key]
            else:
                try:
                    value = normalise(raw)
                except InvalidIndicator:
                    value = None
                if value is not None and postfilter and not postfilter(value):
                    value = None
                memo[key] = value
            if value is None:
                continue
            found.append((start, rank, name, value))
            spans.append((start, end))
        if claiming and spans:
            claims.add(spans)
    found.sort()
    seen: set[tuple[str, str]] = set()
    result: list[tuple[str, str]] = []
    for _, _, name, value in found:
        if (name, value) not in seen:
            seen.add((name, value))
            result.append((name, value))
    return result
