"""Batch matching: which observables are known indicators, at hundreds of thousands of
observables per second.

`MatchIndex` maps every stored canonical value to compact postings (slots in parallel
arrays: indicator id, uuid, event id, type, and the indicator's own narrowing labels when it
has any), plus an interval index of the stored networks for CIDR containment. It holds no
sharing decisions: the caller filters postings through the gate per request.

An observable is looked up as given first; only when that misses and it looks non-canonical
(upper case, defanged, a trailing dot, an IPv6 or CIDR form…) is it normalised by the
indicator kernel and looked up again. A canonical miss costs one dict probe and one regex
search, so a stream of unknown values stays cheap.

Pure Python: no Django.
"""

from __future__ import annotations

import re
import socket
import uuid as uuidlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from certfed.kernel.cidrtrie import IntervalIndex, network_bounds
from certfed.kernel.indicators import TYPES, InvalidIndicator, normalise, normalise_any
from certfed.kernel.netrange import _V4_MAPPED

TYPE_NAMES: tuple[str, ...] = tuple(sorted(TYPES))
TYPE_CODES: dict[str, int] = {name: i for i, name in enumerate(TYPE_NAMES)}
ADDRESS_TYPES = frozenset({"ipv4", "ipv6", "cidr"})
MAX_OBSERVABLE = 2048

# Anything normalise() might change: upper case, brackets and parentheses (defanged, or an
# IPv6 URL host), whitespace, non-ASCII (IDN), a defanged scheme, a trailing dot (also a
# URL host's), a lower-case CVE id (canonical ids are upper case). A property test
# (tests/kernel/test_matching.py) holds it to that.
SUSPECT = re.compile(r"[A-Z\[\](){}\s\x80-\U0010ffff]|hxxp|fxp|\.$|\.(?=[/:?#])|^cve-")
_PLAIN_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789.-_"
ADDRESS_CODES = frozenset(TYPE_CODES[t] for t in ("ipv4", "ipv6", "cidr"))


@dataclass(frozen=True, slots=True)
class Narrowing:
    """An indicator's own labels, when it narrows its event's (None: inherited)."""

    tlp: str | None
    distribution: str | None
    sharing_group: int | None


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One stored indicator, as the index is fed from the database."""

    id: int
    uuid: uuidlib.UUID
    event_id: int
    type: str
    value: str
    tlp: str | None = None
    distribution: str | None = None
    sharing_group: int | None = None


@dataclass(frozen=True, slots=True)
class Lookup:
    """What an observable resolved to: its canonical form and type, the slots holding that
    exact value, and the slots of stored networks containing it."""

    value: str
    type: str
    exact: tuple[int, ...]
    containing: tuple[int, ...] = ()


def needs_normalising(text: str) -> bool:
    """Whether normalise() might change `text` (else a miss as given is a miss)."""
    if not text.encode("utf-8", "surrogatepass").translate(None, _PLAIN_BYTES):
        # Only lower-case letters, digits, dots, dashes and underscores (most domains,
        # addresses and hashes): a byte-table pass, ~5x cheaper than a regex search.
        return text[-1:] == "." or text[:4] == "cve-"
    if SUSPECT.search(text):
        return True
    # Colons and slashes outside a URL: IPv6 (compression, zeros) or CIDR (host bits).
    return "://" not in text and (":" in text or "/" in text)


def may_be_address(text: str) -> bool:
    """Cheap pre-check before parsing an address for containment."""
    return bool(text) and (text[0].isdigit() or ":" in text) and "://" not in text


def _address(text: str) -> int | None:
    """The mapped 128-bit integer of a canonical IPv4/IPv6 address, else None."""
    try:
        if ":" in text:
            return int.from_bytes(socket.inet_pton(socket.AF_INET6, text))
        return int.from_bytes(socket.inet_pton(socket.AF_INET, text)) | _V4_MAPPED
    except OSError:
        return None


class MatchIndex:
    """Canonical value -> postings, with in-place replacement of changed values."""

    def __init__(self) -> None:
        self._exact: dict[str, int | tuple[int, ...]] = {}
        self.ids = array("q")
        self.events = array("q")
        self.types = bytearray()
        # Text form of each uuid, 36 ASCII bytes per slot: answers are assembled as bytes.
        self.uuids = bytearray()
        self.narrowing: dict[int, Narrowing] = {}
        self._network_values: dict[int, str] = {}  # slot -> value, for stored networks
        self._networks: IntervalIndex[int] | None = None
        self._dead = 0

    # -- building ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.ids) - self._dead

    @property
    def garbage(self) -> float:
        """Share of slots freed by replacements (rebuild the index when it grows large)."""
        return self._dead / len(self.ids) if len(self.ids) else 0.0

    def add(self, row: IndexRow) -> None:
        slot = len(self.ids)
        self.ids.append(row.id)
        self.events.append(row.event_id)
        self.types.append(TYPE_CODES[row.type])
        self.uuids += str(row.uuid).encode()
        if row.tlp or row.distribution:
            self.narrowing[slot] = Narrowing(row.tlp, row.distribution, row.sharing_group)
        if row.type == "cidr":
            self._network_values[slot] = row.value
            self._networks = None
        found = self._exact.get(row.value)
        if found is None:
            self._exact[row.value] = slot
        elif isinstance(found, int):
            self._exact[row.value] = (found, slot)
        else:
            self._exact[row.value] = (*found, slot)

    def extend(self, rows: Iterable[IndexRow]) -> None:
        for row in rows:
            self.add(row)

    def load(self, rows: Iterable[tuple]) -> None:
        """Bulk add from raw database tuples (id, uuid, event_id, type, value, tlp,
        distribution, sharing_group_id); uuid as a UUID or 32/36-digit text. The same as
        extend() without an object per row: a million rows load in seconds."""
        exact, ids, events, types, uuids = (
            self._exact,
            self.ids,
            self.events,
            self.types,
            self.uuids,
        )
        codes = TYPE_CODES
        for pk, uid, event_id, type_name, value, tlp, distribution, group in rows:
            slot = len(ids)
            ids.append(pk)
            events.append(event_id)
            types.append(codes[type_name])
            if uid.__class__ is str:
                if len(uid) == 32:
                    uid = f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:]}"
                uuids += uid.encode()
            else:
                uuids += str(uid).encode()
            if tlp or distribution:
                self.narrowing[slot] = Narrowing(tlp, distribution, group)
            if type_name == "cidr":
                self._network_values[slot] = value
                self._networks = None
            found = exact.get(value)
            if found is None:
                exact[value] = slot
            elif found.__class__ is int:
                exact[value] = (found, slot)
            else:
                exact[value] = (*found, slot)

    def replace(self, values: Iterable[str], rows: Iterable[IndexRow]) -> None:
        """Forget every posting of `values`, then add `rows` (their current postings)."""
        for value in values:
            found = self._exact.pop(value, None)
            if found is None:
                continue
            for slot in (found,) if isinstance(found, int) else found:
                self.ids[slot] = 0
                self._dead += 1
                self.narrowing.pop(slot, None)
                if self._network_values.pop(slot, None) is not None:
                    self._networks = None
        self.extend(rows)

    # -- reading ----------------------------------------------------------------------------

    def uuid(self, slot: int) -> str:
        return self.uuids[36 * slot : 36 * slot + 36].decode()

    @property
    def has_networks(self) -> bool:
        return bool(self._network_values)

    @property
    def exact(self) -> dict[str, int | tuple[int, ...]]:
        """The value -> postings dict itself, for callers' inner loops (read only)."""
        return self._exact

    def type_of(self, slot: int) -> str:
        return TYPE_NAMES[self.types[slot]]

    def network_value(self, slot: int) -> str | None:
        """The stored value of a network's slot (None for other slots, whose value is the
        one looked up)."""
        return self._network_values.get(slot)

    def get(self, value: str) -> tuple[int, ...]:
        """Slots holding exactly this canonical value."""
        found = self._exact.get(value)
        if found is None:
            return ()
        return (found,) if isinstance(found, int) else found

    def networks(self) -> IntervalIndex[int]:
        index = self._networks
        if index is None:
            index = self._networks = IntervalIndex(
                (*network_bounds(v), slot) for slot, v in self._network_values.items()
            )
        return index

    def lookup(self, observable: str, type_hint: str | None = None) -> Lookup | None:
        """Resolve one observable; None when nothing stored is equal to it or contains it.
        `type_hint` (a type name) forces how it is read."""
        exact = self._exact.get(observable)
        if exact is not None and type_hint is None:
            slots = (exact,) if isinstance(exact, int) else exact
            return self._with_containment(observable, TYPE_NAMES[self.types[slots[0]]], slots)
        text = observable.strip()
        if not text or len(text) > MAX_OBSERVABLE:
            return None
        type_name = type_hint
        if type_hint is not None or needs_normalising(text):
            try:
                if type_hint is not None:
                    text = normalise(type_hint, text)
                else:
                    type_name, text = normalise_any(text)
            except InvalidIndicator:
                return None
        slots = self.get(text)
        if type_hint is not None:
            slots = tuple(s for s in slots if self.types[s] == TYPE_CODES[type_hint])
        if type_name is None:
            type_name = TYPE_NAMES[self.types[slots[0]]] if slots else None
        return self._with_containment(text, type_name, slots)

    def _with_containment(
        self, value: str, type_name: str | None, slots: tuple[int, ...]
    ) -> Lookup | None:
        if self._network_values and type_name in (None, "ipv4", "ipv6", "cidr"):
            if type_name == "cidr":
                lo, hi = network_bounds(value)
                around = self.networks().covering(lo, hi)
            else:
                point = _address(value)
                if point is not None:
                    type_name = type_name or ("ipv6" if ":" in value else "ipv4")
                around = self.networks().stab(point) if point is not None else []
            containing = tuple(s for s in around if self._network_values[s] != value)
            if containing:
                return Lookup(value, type_name or "ipv4", slots, containing)
        if not slots or type_name is None:
            return None
        return Lookup(value, type_name, slots)
