"""Correlation between events, from an index of values (never a table of pairs).

Write side: every writer of indicators calls `values_changed(values)` with the values it
added, changed or removed; one set-based statement (whatever their number) refreshes their
ValueStat rows (events holding the value, over-correlation flag) and stamps them with the
next write sequence, which in-process indexes (batch matching) refresh from.

Read side: `access_correlations(viewer, event)` links an event to the other events sharing
one of its values, exactly or by CIDR containment (an address and a network holding it,
both ways), computed when asked from the indicator value and range indexes. Both sides go
through the sharing gate: only the indicators the viewer may see in this event, and in the
other event, count. A value held by more than CERTFED_CORRELATION_MAX_EVENTS events (that
the viewer may see) is marked over-correlating and not expanded.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q

from certfed.intel.models import Event, IndexState, Indicator, ValueStat
from certfed.kernel.cidrtrie import IntervalIndex, network_bounds
from certfed.kernel.correlation import (
    Links,
    Shared,
    SourceRow,
    containing_networks,
    containment_links,
    exact_links,
    finish,
    merge,
)
from certfed.platform.bulk import in_values
from certfed.sharing.access import Viewer, access_events, access_indicators

DEFAULT_MAX_EVENTS = 50
_ANALYZE_AFTER = 1000
# Rows fetched at once for "what lies inside these networks"; a group of networks that
# reaches it is split until one network alone does, and that one is over-correlating.
ROW_CAP = 20_000


def max_events() -> int:
    return int(getattr(settings, "CERTFED_CORRELATION_MAX_EVENTS", DEFAULT_MAX_EVENTS))


# -- write side -------------------------------------------------------------------------------


def index_state() -> tuple[int, int]:
    """(seq, token) of the value index: changes whenever any indicator value changes."""
    row = IndexState.objects.filter(pk=1).values_list("seq", "token").first()
    return row or (0, 0)


def _bump() -> int:
    # The UPDATE holds the row lock until the writer commits (PostgreSQL; SQLite serialises
    # writers anyway): sequence numbers become visible in commit order.
    token = random.getrandbits(62)
    if not IndexState.objects.filter(pk=1).update(seq=F("seq") + 1, token=token):
        IndexState.objects.get_or_create(pk=1)
        IndexState.objects.filter(pk=1).update(seq=F("seq") + 1, token=token)
    return IndexState.objects.values_list("seq", flat=True).get(pk=1)


def values_changed(values: set[str]) -> None:
    """Called by every write with the indicator values it added, changed or removed (inside
    the writer's transaction). Set-based: one upsert, and one update when values went away."""
    if not values:
        return
    seq = _bump()
    stats = connection.ops.quote_name(ValueStat._meta.db_table)
    indicators = connection.ops.quote_name(Indicator._meta.db_table)
    limit = max_events()
    values = sorted(values)
    where, params = in_values("value", values)
    with connection.cursor() as cursor:
        # Raw SQL: an upsert from an aggregate is one statement; the ORM would need a read,
        # a Python loop and a bulk write.
        cursor.execute(
            f"INSERT INTO {stats} (value, type, event_count, over_correlating, seq) "  # noqa: S608
            f"SELECT value, MIN(type), COUNT(DISTINCT event_id), "
            f"COUNT(DISTINCT event_id) > %s, %s FROM {indicators} "
            f"WHERE {where} GROUP BY value "
            f"ON CONFLICT (value) DO UPDATE SET type = excluded.type, "
            f"event_count = excluded.event_count, "
            f"over_correlating = excluded.over_correlating, seq = excluded.seq",
            [limit, seq, *params],
        )
        # The upsert touched one row per value still held; any others no indicator holds
        # any more: zero them, stamped, so indexes drop them.
        if cursor.rowcount != len(values):
            cursor.execute(
                f"UPDATE {stats} SET event_count = 0, over_correlating = %s, seq = %s "  # noqa: S608
                f"WHERE {where} AND seq <> %s",
                [False, seq, *params, seq],
            )
        if len(values) >= _ANALYZE_AFTER:
            _refresh_statistics(cursor)


def _refresh_statistics(cursor) -> None:
    """After a bulk write, make sure the query planner has statistics. Without any, both
    databases drive gate-filtered value lookups from the wrong table and scan every
    indicator (SQLite: 0.35 s instead of 0.04 s at a million; PostgreSQL: seconds).
    SQLite gets sampled statistics (milliseconds at any size); PostgreSQL an ANALYZE when a
    table was never analysed or changed by half since (autovacuum usually does this, but
    may be off or a minute late after a bulk import). A platform-wide policy (PRAGMA
    optimize, autovacuum settings) would make this unnecessary."""
    tables = [Indicator._meta.db_table, Event._meta.db_table, ValueStat._meta.db_table]
    quote = connection.ops.quote_name
    if connection.vendor == "sqlite":
        cursor.execute("PRAGMA analysis_limit=1000")
        for table in tables:
            cursor.execute(f"ANALYZE {quote(table)}")
    elif connection.vendor == "postgresql":
        cursor.execute(
            "SELECT relname, n_live_tup, n_mod_since_analyze, "
            "last_analyze IS NULL AND last_autoanalyze IS NULL "
            "FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [tables],
        )
        for table, live, changed, never in cursor.fetchall():
            if never or changed > max(1000, live // 2):
                cursor.execute(f"ANALYZE {quote(table)}")


def rebuild_value_stats() -> int:
    """Recompute every ValueStat row (after CERTFED_CORRELATION_MAX_EVENTS changes, or to
    repair). Returns the number of distinct values."""
    values = set(ValueStat.objects.values_list("value", flat=True))
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Indicator._meta.db_table)
        cursor.execute(f"SELECT DISTINCT value FROM {table}")  # noqa: S608 - a constant name
        values.update(v for (v,) in cursor.fetchall())
    values_changed(values)
    return len(values)


# -- networks ---------------------------------------------------------------------------------

_networks_lock = threading.Lock()
_networks: tuple[tuple[int, int], IntervalIndex[str]] | None = None


def _network_index() -> IntervalIndex[str]:
    """Every distinct stored network value, in an interval index rebuilt when the value
    index moves. Distinct values, not rows: a few thousand even in a large store."""
    global _networks
    key = index_state()
    cached = _networks
    if cached is not None and cached[0] == key:
        return cached[1]
    rows = ValueStat.objects.filter(type="cidr", event_count__gt=0).values_list("value", flat=True)
    index = IntervalIndex((*network_bounds(v), v) for v in rows)
    with _networks_lock:
        _networks = (key, index)
    return index


def reset_caches() -> None:
    """Forget in-process state (tests roll the database back under it)."""
    global _networks
    _networks = None


# -- read side --------------------------------------------------------------------------------


def correlate(viewer: Viewer, event_ids: Sequence[int]) -> dict[int, Links]:
    """Links of each given event (which the viewer must be able to see) to the other events
    the viewer may see, through indicators the viewer may see on both sides."""
    event_ids = list(event_ids)
    if not event_ids:
        return {}
    mine = access_indicators(viewer).filter(event_id__in=event_ids).order_by()
    sources = [
        SourceRow(*row) for row in mine.values_list("event_id", "type", "value", "net_lo", "net_hi")
    ]
    if not sources:
        return {e: Links() for e in event_ids}
    limit = max_events()
    my_values = mine.values("value")
    single = event_ids if len(event_ids) == 1 else []

    # Values too common overall are never expanded blindly: the viewer's own count decides.
    over_all = set(
        ValueStat.objects.filter(over_correlating=True, value__in=my_values).values_list(
            "value", flat=True
        )
    )
    others = (
        access_indicators(viewer)
        .filter(value__in=my_values)
        .exclude(event_id__in=single)
        .order_by()
    )
    if over_all:
        others = others.exclude(value__in=sorted(over_all))
    exact_rows: Iterable = others.values_list("event_id", "value")
    over: dict[int, set[str]] = {}
    if over_all:
        visible_counts = (
            access_indicators(viewer)
            .filter(value__in=sorted(over_all))
            .values("value")
            .annotate(n=Count("event_id", distinct=True))
            .values_list("value", "n")
        )
        too_many = {value for value, n in visible_counts if n > limit}
        expand = sorted(over_all - too_many)
        for s in sources:
            if s.value in too_many:
                over.setdefault(s.event_id, set()).add(s.value)
        if expand:
            more = (
                access_indicators(viewer)
                .filter(value__in=expand)
                .exclude(event_id__in=single)
                .order_by()
            )
            exact_rows = chain(exact_rows, more.values_list("event_id", "value"))
    links = exact_links(sources, exact_rows)

    ranges = [s for s in sources if s.net_lo]
    if ranges:
        around = containing_networks(_network_index(), ranges)
        rows = (
            list(
                access_indicators(viewer)
                .filter(type="cidr", value__in=sorted(around))
                .exclude(event_id__in=single)
                .order_by()
                .values_list("event_id", "value", "net_lo", "net_hi")
            )
            if around
            else []
        )
        networks = [s for s in ranges if s.net_lo != s.net_hi]
        rows += _contained_with_caps(viewer, networks, single, over)
        if rows:
            links = merge(links, containment_links(ranges, rows))
    return finish(links, event_ids, limit, over)


def _contained_with_caps(
    viewer: Viewer, networks: list[SourceRow], exclude: list[int], over: dict[int, set[str]]
) -> list:
    """Rows inside the source networks; a network holding too many to fetch is marked
    over-correlating in `over` instead."""
    out: list = []
    pending = [networks[i : i + 50] for i in range(0, len(networks), 50)]
    while pending:
        group = pending.pop()
        if not group:
            continue
        q = Q()
        for n in group:
            q |= Q(net_lo__gte=n.net_lo, net_lo__lte=n.net_hi, net_hi__lte=n.net_hi)
        qs = access_indicators(viewer).filter(q).exclude(event_id__in=exclude).order_by()
        rows = list(qs.values_list("event_id", "value", "net_lo", "net_hi")[:ROW_CAP])
        if len(rows) < ROW_CAP:
            out.extend(rows)
        elif len(group) == 1:
            over.setdefault(group[0].event_id, set()).add(group[0].value)
        else:
            half = len(group) // 2
            pending += [group[:half], group[half:]]
    return out


@dataclass
class Correlation:
    """Another event the viewer may see, and what it shares with the source event."""

    event: Event
    shared: list[Shared]

    @property
    def count(self) -> int:
        return len({s.value for s in self.shared})


@dataclass
class CorrelationReport:
    correlations: list[Correlation] = field(default_factory=list)
    over_correlating: list[tuple[str, str]] = field(default_factory=list)  # (value, type)


def correlation_report(viewer: Viewer, event: Event) -> CorrelationReport:
    """Everything the event page shows: linked events (most shared first) and the event's
    over-correlating values."""
    if not access_events(viewer).filter(pk=event.pk).exists():
        return CorrelationReport()
    links = correlate(viewer, [event.pk]).get(event.pk, Links())
    events = {
        e.pk: e
        for e in access_events(viewer).filter(pk__in=list(links.shared)).select_related("owner")
    }
    correlations = [
        Correlation(events[eid], sorted(shared))
        for eid, shared in links.shared.items()
        if eid in events
    ]
    correlations.sort(key=lambda c: (-c.count, -c.event.date.toordinal(), -c.event.pk))
    types = dict(
        access_indicators(viewer)
        .filter(event=event, value__in=sorted(links.over_correlating))
        .values_list("value", "type")
    ) if links.over_correlating else {}  # fmt: skip
    over = sorted((v, types.get(v, "")) for v in links.over_correlating)
    return CorrelationReport(correlations, over)


def access_correlations(viewer: Viewer, event: Event) -> list[Correlation]:
    """The events the viewer may see that share a value with `event` (exactly or by CIDR
    containment), with what they share, most shared first."""
    return correlation_report(viewer, event).correlations


def correlation_counts(viewer: Viewer, event_ids: Sequence[int]) -> dict[int, int]:
    """For a page of (visible) events: how many other visible events each correlates with,
    in a fixed number of queries whatever the page size."""
    links = correlate(viewer, event_ids)
    return {eid: len(links.get(eid, Links()).shared) for eid in event_ids}
