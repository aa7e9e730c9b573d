"""Correlation between events: which other events share a value with an event, exactly or by
CIDR containment, and which values are too common to be worth expanding.

The database side (certfed.intel.correlation) fetches, through the sharing gate, the source
event's indicators and the other indicators holding the same values or nesting address
ranges; this module turns those rows into links with set and interval algorithms, so the
cost is linear in the rows and no pair is ever stored.

Pure Python: no Django.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from certfed.kernel.cidrtrie import IntervalIndex, hex_bounds

EXACT = "exact"
CIDR = "cidr"


@dataclass(frozen=True, order=True)
class Shared:
    """One reason two events are linked: `value` in the source event and `other_value` in
    the other event are equal (via exact) or one address range contains the other (cidr)."""

    value: str
    other_value: str
    via: str = EXACT


class SourceRow(NamedTuple):
    """A (visible) indicator of a source event (a tuple: tens of thousands are built per
    read)."""

    event_id: int
    type: str
    value: str
    net_lo: str | None = None
    net_hi: str | None = None


@dataclass
class Links:
    """The outcome for one source event."""

    # other event id -> what it shares with the source event
    shared: dict[int, set[Shared]] = field(default_factory=dict)
    # values held by more than max_events events: marked, not expanded
    over_correlating: set[str] = field(default_factory=set)


def exact_links(
    sources: Iterable[SourceRow], others: Iterable[tuple[int, str]]
) -> dict[int, dict[int, set[Shared]]]:
    """Link each source event to the other events holding one of its values."""
    events_by_value: dict[str, list[int]] = defaultdict(list)
    for row in sources:
        events_by_value[row.value].append(row.event_id)
    out: dict[int, dict[int, set[Shared]]] = defaultdict(lambda: defaultdict(set))
    for other_event, value in others:
        for src_event in events_by_value.get(value, ()):
            if src_event != other_event:
                out[src_event][other_event].add(Shared(value, value, EXACT))
    return out


def ranges_of(sources: Iterable[SourceRow]) -> list[tuple[int, int, SourceRow]]:
    return [(*hex_bounds(r.net_lo, r.net_hi), r) for r in sources if r.net_lo and r.net_hi]


def containment_links(
    sources: Iterable[SourceRow], others: Iterable[tuple[int, str, str, str]]
) -> dict[int, dict[int, set[Shared]]]:
    """Link source ranges with other rows (event_id, value, net_lo, net_hi) whose range
    nests with them, either way round: an address inside a network, a network inside a
    larger one. CIDR blocks never partially overlap, so "intersects" is "nests"."""
    source_ranges = sorted(ranges_of(sources), key=lambda r: r[0])
    index = IntervalIndex(source_ranges)
    starts = [r[0] for r in source_ranges]
    out: dict[int, dict[int, set[Shared]]] = defaultdict(lambda: defaultdict(set))
    if not index:
        return out
    for other_event, other_value, lo_hex, hi_hex in others:
        lo, hi = hex_bounds(lo_hex, hi_hex)
        # Source ranges containing the other range…
        found = index.covering(lo, hi)
        # …and source ranges inside it (only possible when the other is a network): those
        # starting within it, by binary search on the sorted starts.
        if hi > lo:
            first, last = bisect_left(starts, lo), bisect_right(starts, hi)
            found = found + [src for _, s_hi, src in source_ranges[first:last] if s_hi <= hi]
        for src in found:
            if src.event_id != other_event and src.value != other_value:
                out[src.event_id][other_event].add(Shared(src.value, other_value, CIDR))
    return out


def containing_networks(
    networks: IntervalIndex[str], sources: Iterable[SourceRow]
) -> dict[str, set[str]]:
    """For each stored network value (from an index of all of them) the source values it
    strictly contains: the candidates to fetch, through the gate, for containment links."""
    out: dict[str, set[str]] = defaultdict(set)
    for lo, hi, src in ranges_of(sources):
        for network in networks.covering(lo, hi):
            if network != src.value:
                out[network].add(src.value)
    return out


def merge(*parts: dict[int, dict[int, set[Shared]]]) -> dict[int, dict[int, set[Shared]]]:
    out: dict[int, dict[int, set[Shared]]] = defaultdict(lambda: defaultdict(set))
    for part in parts:
        for src_event, others in part.items():
            for other_event, shared in others.items():
                out[src_event][other_event] |= shared
    return out


def finish(
    links: dict[int, dict[int, set[Shared]]],
    source_events: Iterable[int],
    max_events: int,
    over: dict[int, set[str]] | None = None,
) -> dict[int, Links]:
    """Apply the over-correlation rule and drop what it removes.

    A source value linked to more than max_events - 1 other events (so held by more than
    max_events events with its own) is over-correlating: marked, its links dropped. `over`
    carries values already known to be over-correlating per source event (counted in SQL
    without being expanded)."""
    result: dict[int, Links] = {}
    for src_event in source_events:
        by_other = links.get(src_event, {})
        reach: dict[str, set[int]] = defaultdict(set)
        for other_event, shared in by_other.items():
            for s in shared:
                reach[s.value].add(other_event)
        marked = set((over or {}).get(src_event, ()))
        marked |= {v for v, events in reach.items() if len(events) + 1 > max_events}
        kept: dict[int, set[Shared]] = {}
        for other_event, shared in by_other.items():
            remaining = {s for s in shared if s.value not in marked}
            if remaining:
                kept[other_event] = remaining
        result[src_event] = Links(kept, marked)
    return result
