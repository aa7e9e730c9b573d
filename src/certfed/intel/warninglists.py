"""The MISP warninglists, as shipped inside the pymispwarninglists package (never downloaded),
indexed once per process and consulted for every indicator written.

`warninglist_for` is on the bulk-ingest path, so it must be cheap: lists are read and
indexed lazily, one family of types at a time (addresses, names, hashes) so a process that
only ever writes addresses never pays for the two million top-domain entries; after that a
lookup is a few binary searches (kernel.warninglists).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from certfed.kernel.warninglists import FAMILIES, WarningList, WarninglistIndex

# Lists whose hit says the most about a value come first, so an indicator is flagged with
# the most telling name (8.8.8.8 as a public DNS resolver rather than as a cloud range).
# Then every other list by name.
PRIORITY = (
    "rfc1918",
    "rfc5735",
    "rfc6598",
    "rfc3849",
    "rfc6761",
    "multicast",
    "ipv6-linklocal",
    "empty-hashes",
    "eicar.com",
    "common-ioc-false-positive",
    "public-dns-v4",
    "public-dns-v6",
    "public-dns-hostname",
    "sinkholes",
    "tlds",
    "second-level-tlds",
    "google",
    "microsoft",
    "alexa",
    "tranco10k",
    "cisco_top1000",
)

_lock = threading.Lock()
_indexes: dict[str, WarninglistIndex] = {}


def lists_directory() -> Path:
    import pymispwarninglists

    return Path(pymispwarninglists.__file__).parent / "data" / "misp-warninglists" / "lists"


def _lists_for(types: frozenset[str]) -> list[WarningList]:
    """The shipped lists that apply to `types`, in priority order. Files are read one at a
    time and the entries of lists that do not apply are dropped at once, so memory peaks at
    one family's entries, not all 65 MB."""
    found: list[tuple[tuple[int, str], WarningList]] = []
    for path in sorted(lists_directory().glob("*/list.json")):
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
        key = path.parent.name
        rank = PRIORITY.index(key) if key in PRIORITY else len(PRIORITY)
        wl = WarningList(
            name=str(data["name"])[:200],
            kind=data["type"],
            attributes=frozenset(data.get("matching_attributes") or ()),
            entries=tuple(data.get("list") or ()),
        )
        if any(wl.applies_to(t) for t in types):
            found.append(((rank, wl.name.lower()), wl))
    found.sort(key=lambda item: item[0])
    return [wl for _, wl in found]


_FAMILY_OF = {t: family for family, types in FAMILIES.items() for t in types}
_by_type: dict[str, WarninglistIndex] = {}  # the hot path: one dict probe per value


def _index(type_name: str) -> WarninglistIndex | None:
    index = _by_type.get(type_name)
    if index is not None:
        return index
    family = _FAMILY_OF.get(type_name)
    if family is None:
        return None
    with _lock:
        index = _indexes.get(family)
        if index is None:
            types = FAMILIES[family]
            index = _indexes[family] = WarninglistIndex(_lists_for(types), types)
            _by_type.update(dict.fromkeys(types, index))
    return index


def preload() -> None:
    """Index every family now (a server warming up, a benchmark that should not time it)."""
    for types in FAMILIES.values():
        _index(next(iter(types)))


def warninglist_for(type_name: str, value: str) -> str:
    """Name of the first warninglist the (canonical) value hits, or "" when none."""
    index = _index(type_name)
    return index.first(type_name, value) if index is not None else ""


def hits(type_name: str, value: str) -> list[str]:
    """Names of every warninglist the (canonical) value hits, most telling first."""
    index = _index(type_name)
    return index.hits(type_name, value) if index is not None else []
