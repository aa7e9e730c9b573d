"""Warninglists: known-benign or special values (RFC 1918 ranges, public DNS resolvers, top
domains, hashes of empty files…) that make an indicator a likely false positive.

The index answers "which lists does this value hit" in O(log n) per lookup, however many
millions of entries the lists hold, and stays compact in memory:

- `string` and `hostname` lists (and large `substring` lists, whose entries are domain
  names) go into one sorted array of 63-bit keys: a 55-bit hash of the entry and the list's
  position. A lookup is one binary search per candidate string. Two different strings share
  a 55-bit hash with probability ~1e-10 per lookup at today's ~2.4M entries: a false "hit"
  only marks an indicator as warninglisted, it never hides or exposes anything.
- `hostname` lists match the value and every parent domain (a.b.example.com hits an entry
  example.com), like MISP; `string` lists match exactly.
- `cidr` lists go into a kernel.cidrtrie.IntervalIndex: an address hits a list when a listed
  network contains it, a network when a listed network contains all of it.
- small `substring` lists are scanned; `regex` lists are compiled.

Hashes are per process (Python's str hash is salted per run), so the index is rebuilt by
each process from the lists; see certfed.intel.warninglists for loading.

Pure Python: no Django.
"""

from __future__ import annotations

import re
import socket
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from certfed.kernel.cidrtrie import IntervalIndex
from certfed.kernel.netrange import _V4_MAPPED

# certfed indicator type -> MISP attribute types whose lists apply to it.
TYPE_ATTRIBUTES: dict[str, frozenset[str]] = {
    "ipv4": frozenset({"ip-src", "ip-dst"}),
    "ipv6": frozenset({"ip-src", "ip-dst"}),
    "cidr": frozenset({"ip-src", "ip-dst"}),
    "domain": frozenset({"domain", "hostname"}),
    "url": frozenset({"url", "uri"}),
    "email": frozenset({"email", "email-src", "email-dst"}),
    "md5": frozenset({"md5"}),
    "sha1": frozenset({"sha1"}),
    "sha256": frozenset({"sha256"}),
    "cve": frozenset(),
}

# Types whose lists come from the same source data, loaded together on first use.
FAMILIES: dict[str, frozenset[str]] = {
    "address": frozenset({"ipv4", "ipv6", "cidr"}),
    "name": frozenset({"domain", "url", "email"}),
    "hash": frozenset({"md5", "sha1", "sha256"}),
}

_HASH_BITS = 55
_HASH_MASK = (1 << _HASH_BITS) - 1
_MAX_LISTS = 256
# Substring lists above this size hold domain names (disposable mail providers): they are
# matched as domain suffixes through the sorted index instead of scanned.
_SCAN_LIMIT = 200
# Parent domains remembered between look-ups (cleared when full).
_MEMO_SIZE = 65536
_DIR_BITS = 16


@dataclass(frozen=True)
class WarningList:
    """One list as MISP ships it: its kind (string, hostname, cidr, substring, regex), the
    MISP attribute types it applies to, and its entries."""

    name: str
    kind: str
    attributes: frozenset[str]
    entries: Sequence[str]

    def applies_to(self, type_name: str) -> bool:
        return bool(self.attributes & TYPE_ATTRIBUTES.get(type_name, frozenset()))


def _key(text: str) -> int:
    return hash(text) & _HASH_MASK


def _canonical_entry(entry: str) -> str:
    return entry.strip().lower().rstrip(".")


def _parse_network(entry: str) -> tuple[int, int] | None:
    """(lo, hi) of "a.b.c.d[/n]" or an IPv6 network in the shared 128-bit space; None for
    anything else (a few lists carry stray non-network lines). socket.inet_pton is ~20x
    faster than ipaddress on 100,000 entries."""
    address, _, prefix = entry.strip().partition("/")
    try:
        if ":" in address:
            n, bits = int.from_bytes(socket.inet_pton(socket.AF_INET6, address)), 128
        else:
            n, bits = int.from_bytes(socket.inet_pton(socket.AF_INET, address)), 32
        length = int(prefix) if prefix else bits
    except (OSError, ValueError):
        return None
    if not 0 <= length <= bits:
        return None
    host = (1 << (bits - length)) - 1
    lo, hi = n & ~host, n | host
    if bits == 32:
        lo, hi = lo | _V4_MAPPED, hi | _V4_MAPPED
    return lo, hi


def _compile_regex(entry: str) -> re.Pattern[str] | None:
    # MISP writes regexes PHP-style: /pattern/flags.
    if len(entry) >= 2 and entry[0] == "/" and "/" in entry[1:]:
        body, _, flags = entry[1:].rpartition("/")
        try:
            return re.compile(body, re.IGNORECASE if "i" in flags else 0)
        except re.error:
            return None
    try:
        return re.compile(entry)
    except re.error:
        return None


def _parents(name: str) -> list[str]:
    """name and each parent domain: a.b.c -> [a.b.c, b.c, c]."""
    out = [name]
    i = name.find(".")
    while i != -1:
        name = name[i + 1 :]
        out.append(name)
        i = name.find(".")
    return out


class WarninglistIndex:
    """Lookups over lists given in priority order (a value's first hit names it)."""

    def __init__(self, lists: Iterable[WarningList], types: Iterable[str] | None = None) -> None:
        """Index the lists that apply to `types` (all certfed types when None)."""
        wanted = frozenset(types) if types is not None else frozenset(TYPE_ATTRIBUTES)
        selected = [wl for wl in lists if wl.entries and any(wl.applies_to(t) for t in wanted)]
        if len(selected) > _MAX_LISTS:
            raise ValueError(f"at most {_MAX_LISTS} warninglists can be indexed")
        # Only the names are kept: the entries live on in the compact structures below.
        self.names: list[str] = [wl.name for wl in selected]
        self.types = wanted
        # Per type: which lists (by position) apply.
        self._applies = {
            t: frozenset(i for i, wl in enumerate(selected) if wl.applies_to(t)) for t in wanted
        }
        self._suffix_lists = frozenset(
            i
            for i, wl in enumerate(selected)
            if wl.kind == "hostname" or (wl.kind == "substring" and len(wl.entries) > _SCAN_LIMIT)
        )
        keys: list[int] = []
        networks: list[tuple[int, int, int]] = []
        # Small substring lists: one alternation each, searched in a single regex pass.
        self._scan: list[tuple[int, re.Pattern[str]]] = []
        self._regex: list[tuple[int, list[re.Pattern[str]]]] = []
        keyed: set[int] = set()
        # The fewest labels of any suffix-matched entry: parents shorter than that (usually
        # the bare TLD) cannot hit, so they are not looked up.
        # Suffix entries of one label (a couple of stray words in two lists) are kept in a
        # dict, so the top-level label of every name is not a binary search.
        self._bare: dict[str, set[int]] = {}
        for i, wl in enumerate(selected):
            if wl.kind in ("string", "hostname") or i in self._suffix_lists:
                keyed.add(i)
                entries = [_canonical_entry(e) for e in wl.entries]
                keys.extend([(_key(e) << 8) | i for e in entries])
                if i in self._suffix_lists:
                    for e in entries:
                        if "." not in e:
                            self._bare.setdefault(e, set()).add(i)
            elif wl.kind == "cidr":
                for e in wl.entries:
                    bounds = _parse_network(e)
                    if bounds is not None:
                        networks.append((*bounds, i))
            elif wl.kind == "substring":
                alternatives = "|".join(re.escape(_canonical_entry(e)) for e in wl.entries)
                self._scan.append((i, re.compile(alternatives)))
            elif wl.kind == "regex":
                compiled = [p for e in wl.entries if (p := _compile_regex(e)) is not None]
                self._regex.append((i, compiled))
        keys.sort()
        self._keys = array("q", keys)
        # Where each 16-bit hash prefix starts in the sorted keys: a lookup bisects a few
        # dozen keys instead of millions (~3x fewer comparisons, each allocating an int).
        shift = _HASH_BITS - _DIR_BITS + 8
        self._dir = array(
            "q", (bisect_left(self._keys, p << shift) for p in range((1 << _DIR_BITS) + 1))
        )
        # Per type, what a lookup consults: the lists that apply, whether any of them is in
        # the sorted index, those matched by domain suffix, the scanned lists (with one
        # combined pattern to rule them all out in a single search), the regex lists.
        self._plans = {}
        for t, applies in self._applies.items():
            if not applies:
                continue
            scans = [(i, p) for i, p in self._scan if i in applies]
            either = re.compile("|".join(f"(?:{p.pattern})" for _, p in scans)) if scans else None
            self._plans[t] = (
                applies,
                bool(applies & keyed),
                applies & self._suffix_lists,
                either,
                scans,
                [(i, ps) for i, ps in self._regex if i in applies],
            )
        self._networks: IntervalIndex[int] = IntervalIndex(networks)
        self._memo: dict[tuple[str, frozenset[int]], frozenset[int]] = {}

    def __len__(self) -> int:
        return len(self._keys) + len(self._networks)

    # -- lookups ----------------------------------------------------------------------------

    def _keyed(self, text: str, allowed: frozenset[int], out: set[int]) -> None:
        keys = self._keys
        h = _key(text)
        prefix = h >> (_HASH_BITS - _DIR_BITS)
        n = self._dir[prefix + 1]
        probe = h << 8
        j = bisect_left(keys, probe, self._dir[prefix], n)
        end = probe | 0xFF
        while j < n and keys[j] <= end:
            i = keys[j] & 0xFF
            if i in allowed:
                out.add(i)
            j += 1

    def _parent_hits(self, parent: str, suffixes: frozenset[int]) -> frozenset[int]:
        """Lists that `parent` or one of its own parents hits by domain suffix (not the
        top-level label alone, unless it is a one-label entry). Memoised: the names of one
        import share a handful of parent domains."""
        key = (parent, suffixes)
        found = self._memo.get(key)
        if found is None:
            out: set[int] = set()
            parents = _parents(parent)
            for name in parents[:-1]:
                self._keyed(name, suffixes, out)
            if parents[-1] in self._bare:
                out.update(self._bare[parents[-1]] & suffixes)
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            found = self._memo[key] = frozenset(out)
        return found

    def _names(self, type_name: str, value: str) -> set[int]:
        """Positions of the lists `value` (canonical for `type_name`) hits."""
        hits: set[int] = set()
        plan = self._plans.get(type_name)
        if plan is None:
            return hits
        applies, keyed, suffixes, either, scans, regexes = plan
        if type_name in ("ipv4", "ipv6", "cidr"):
            bounds = _parse_network(value.split("%", 1)[0])
            if bounds is not None:
                hits.update(i for i in self._networks.covering(*bounds) if i in applies)
        if keyed:
            self._keyed(value, applies, hits)
        if type_name in ("domain", "url", "email"):
            host = _host_of(type_name, value)
            if host and host != value:
                # A URL's host against lists of host names; an email's domain only against
                # domain-suffix lists (disposable mail providers).
                self._keyed(host, applies if type_name == "url" else suffixes, hits)
            if host and suffixes:
                dot = host.find(".")
                if dot != -1:
                    hits.update(self._parent_hits(host[dot + 1 :], suffixes))
        if either is not None and either.search(value):
            hits.update(i for i, pattern in scans if pattern.search(value))
        for i, patterns in regexes:
            if any(p.search(value) for p in patterns):
                hits.add(i)
        return hits

    def hits(self, type_name: str, value: str) -> list[str]:
        """Names of every list the value hits, in priority order."""
        return [self.names[i] for i in sorted(self._names(type_name, value))]

    def first(self, type_name: str, value: str) -> str:
        """Name of the first list (in priority order) the value hits, or ""."""
        found = self._names(type_name, value)
        return self.names[min(found)] if found else ""


def _host_of(type_name: str, value: str) -> str:
    if type_name == "domain":
        return value
    if type_name == "email":
        return value.rpartition("@")[2]
    # url: scheme://[userinfo@]host[:port]/... (canonical form, so the host is lower-case)
    rest = value.partition("://")[2]
    end = len(rest)
    for sep in "/?#":
        k = rest.find(sep)
        if k != -1 and k < end:
            end = k
    authority = rest[:end].rpartition("@")[2]
    if authority.startswith("["):
        return authority[1 : authority.find("]")] if "]" in authority else ""
    return authority.rpartition(":")[0] if ":" in authority else authority
