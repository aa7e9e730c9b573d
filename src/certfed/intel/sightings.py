"""Sightings: members reporting that they saw an indicator, judged it a false positive, or
consider it expired.

A sighting is a shared object with its own labels (default TLP AMBER, distribution
organisation: the reporter alone, until it chooses to share). Its audience is its own
audience intersected with the sighted indicator's: `access_sightings` is that rule.

Counts shown to a member count only the sightings that member may see
(`visible_stats`). The denormalised Indicator.sighting_count / false_positive_count /
last_sighted columns count every sighting: they exist for decay and maintenance and are
never rendered for a reader (see intel.serialize).
"""

from __future__ import annotations

import datetime as dt
import uuid as uuidlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from certfed.audit.log import Context, record
from certfed.intel.models import Sighting
from certfed.intel.validation import clean_datetime, resolve_sharing_group
from certfed.kernel.indicators import InvalidIndicator, normalise_any
from certfed.kernel.labels import LabelError, Labels, parse_distribution, parse_tlp, validate
from certfed.platform.errors import Forbidden, Invalid, NotFound
from certfed.sharing.access import Viewer, access_indicators, audience_q

TYPES = tuple(t.value for t in Sighting.Type)
MAX_COUNT = 1_000_000
MAX_VALUE = 2048
# Reporting clocks drift; a sighting a few minutes "in the future" is not an error.
CLOCK_SKEW = dt.timedelta(minutes=5)
_CHUNK = 2000


@dataclass
class IncomingSighting:
    """One sighting as a caller gives it: of a value (every indicator with that canonical
    value the caller may see) or of one indicator by uuid."""

    type: str
    value: str | None
    indicator_uuid: uuidlib.UUID | None
    source: str = ""
    time: dt.datetime | None = None
    count: int = 1
    tlp: str | None = None
    distribution: str | None = None
    sharing_group: str | None = None  # uuid, with distribution sharing_group


@dataclass(frozen=True)
class SightingStats:
    """What one reader may know about an indicator's sightings."""

    sightings: int = 0
    false_positives: int = 0
    last_sighted: dt.datetime | None = None


NO_STATS = SightingStats()


# -- reads ------------------------------------------------------------------------------------


def access_sightings(viewer: Viewer) -> QuerySet:
    """Sightings the viewer may see: in the sighting's own audience and on an indicator the
    viewer may see. (A gate rule built only from sharing.access; it belongs there.)"""
    return Sighting.objects.filter(
        audience_q(viewer), indicator_id__in=access_indicators(viewer).values("id")
    )


def visible_stats(
    viewer: Viewer,
    *,
    indicator_uuids: Sequence[uuidlib.UUID | str] | None = None,
    event_ids: Sequence[int] | None = None,
) -> dict[str, SightingStats]:
    """Counts and last sighting per indicator uuid (as text), over the sightings the viewer
    may see: one aggregate query for a set of events, or one per 2,000 indicators."""
    base = access_sightings(viewer)
    if event_ids is not None:
        batches: Iterable[QuerySet] = [base.filter(indicator__event_id__in=list(event_ids))]
    else:
        uuids = list(indicator_uuids or ())
        batches = (
            base.filter(indicator__uuid__in=uuids[i : i + _CHUNK])
            for i in range(0, len(uuids), _CHUNK)
        )
    out: dict[str, SightingStats] = {}
    for qs in batches:
        rows = (
            qs.order_by()
            .values("indicator__uuid")
            .annotate(
                s=Sum("count", filter=Q(type="sighting")),
                fp=Sum("count", filter=Q(type="false-positive")),
                last=Max("time", filter=Q(type="sighting")),
            )
            .values_list("indicator__uuid", "s", "fp", "last")
        )
        for uuid, s, fp, last in rows:
            out[str(uuid)] = SightingStats(s or 0, fp or 0, last)
    return out


# -- validation -------------------------------------------------------------------------------


@dataclass
class _Clean:
    item: IncomingSighting
    field: str  # prefix for messages: "" or "sightings[3]."
    type: str
    value: str | None
    uuid: uuidlib.UUID | None
    time: dt.datetime
    labels: tuple[str, str, Any]  # tlp, distribution, sharing group (model or None)


def _labels(viewer: Viewer, item: IncomingSighting, f: str, cache: dict) -> tuple:
    key = (item.tlp, item.distribution, item.sharing_group)
    if key in cache:
        return cache[key]
    try:
        tlp = parse_tlp(item.tlp, f"{f}tlp") if item.tlp else "AMBER"
        dist = (
            parse_distribution(item.distribution, f"{f}distribution")
            if item.distribution
            else "organisation"
        )
    except LabelError as exc:
        raise Invalid(exc.message, exc.field) from None
    group = resolve_sharing_group(viewer, item.sharing_group, f"{f}sharing_group")
    try:
        validate(Labels(tlp, "AMBER", dist, group.pk if group else None), f.rstrip("."))
    except LabelError as exc:
        raise Invalid(exc.message, exc.field) from None
    cache[key] = (tlp, dist, group)
    return cache[key]


def _clean(viewer: Viewer, item: IncomingSighting, f: str, now: dt.datetime, cache: dict):
    if item.type not in TYPES:
        raise Invalid(f"{item.type!r} is not one of {', '.join(TYPES)}", f"{f}type")
    has_value, has_uuid = item.value not in (None, ""), item.indicator_uuid not in (None, "")
    if has_value and has_uuid:
        raise Invalid("give a value or an indicator uuid, not both", f"{f}indicator")
    if not (has_value or has_uuid):
        raise Invalid("a value or an indicator uuid is required", f"{f}value")
    value = uuid = None
    if has_value:
        if not isinstance(item.value, str):
            raise Invalid(f"must be text, not {type(item.value).__name__}", f"{f}value")
        if len(item.value) > MAX_VALUE:
            raise Invalid(f"is longer than {MAX_VALUE} characters", f"{f}value")
        try:
            value = normalise_any(item.value)[1]
        except InvalidIndicator as exc:
            raise Invalid(str(exc), f"{f}value") from None
    else:
        try:
            uuid = uuidlib.UUID(str(item.indicator_uuid))
        except ValueError:
            raise Invalid(f"{item.indicator_uuid!r} is not a UUID", f"{f}indicator") from None
    if not isinstance(item.source, str):
        raise Invalid(f"must be text, not {type(item.source).__name__}", f"{f}source")
    if len(item.source) > 255:
        raise Invalid("is longer than 255 characters", f"{f}source")
    if isinstance(item.count, bool) or not isinstance(item.count, int):
        raise Invalid(f"{item.count!r} is not a whole number", f"{f}count")
    if not 1 <= item.count <= MAX_COUNT:
        raise Invalid(f"{item.count} is outside 1..{MAX_COUNT}", f"{f}count")
    when = clean_datetime(item.time, f"{f}time") or now
    if when > now + CLOCK_SKEW:
        raise Invalid(f"{when.isoformat()} is in the future", f"{f}time")
    labels = _labels(viewer, item, f, cache)
    return _Clean(item, f, item.type, value, uuid, when, labels)


# -- writes -----------------------------------------------------------------------------------


def _targets(viewer: Viewer, cleaned: list[_Clean]) -> tuple[dict, dict]:
    """Visible indicators by canonical value and by uuid: {key: [(id, owner_id)]}."""
    visible = access_indicators(viewer)
    by_value: dict[str, list[tuple[int, int]]] = {}
    by_uuid: dict[uuidlib.UUID, list[tuple[int, int]]] = {}
    values = sorted({c.value for c in cleaned if c.value is not None})
    uuids = sorted({c.uuid for c in cleaned if c.uuid is not None})
    for i in range(0, len(values), _CHUNK):
        rows = visible.filter(value__in=values[i : i + _CHUNK]).values_list(
            "value", "id", "event__owner_id"
        )
        for value, pk, owner in rows:
            by_value.setdefault(value, []).append((pk, owner))
    for i in range(0, len(uuids), _CHUNK):
        rows = visible.filter(uuid__in=uuids[i : i + _CHUNK]).values_list(
            "uuid", "id", "event__owner_id"
        )
        for u, pk, owner in rows:
            by_uuid.setdefault(u, []).append((pk, owner))
    return by_value, by_uuid


def refresh_counters(indicator_ids: Iterable[int], viewer: Viewer) -> None:
    """Recompute the denormalised counters of these (visible) indicators from every
    sighting: one UPDATE with correlated aggregates per 2,000 indicators."""
    ids = sorted(set(indicator_ids))
    mine = Sighting.objects.filter(indicator_id=OuterRef("pk")).order_by().values("indicator_id")

    def total(kind: str):
        return Coalesce(Subquery(mine.filter(type=kind).annotate(n=Sum("count")).values("n")), 0)

    last = Subquery(mine.filter(type="sighting").annotate(m=Max("time")).values("m"))
    for i in range(0, len(ids), _CHUNK):
        access_indicators(viewer).filter(pk__in=ids[i : i + _CHUNK]).update(
            sighting_count=total("sighting"),
            false_positive_count=total("false-positive"),
            last_sighted=last,
        )


@transaction.atomic
def record_sightings(ctx: Context, viewer: Viewer, items: list[IncomingSighting]) -> list:
    """Validate every item, then write them all in bulk (or nothing), refresh the counters,
    apply expirations to the viewer's own indicators, audit. Returns the Sighting rows."""
    if not viewer.can_write:
        raise Forbidden("your role may not report sightings")
    if not items:
        raise Invalid("at least one sighting is required", "sightings")
    now = timezone.now()
    cache: dict = {}
    many = len(items) > 1
    cleaned = [
        _clean(viewer, item, f"sightings[{i}]." if many else "", now, cache)
        for i, item in enumerate(items)
    ]
    by_value, by_uuid = _targets(viewer, cleaned)
    rows: list[Sighting] = []
    expire: dict[dt.datetime, set[int]] = {}
    for c in cleaned:
        if c.value is not None:
            targets = by_value.get(c.value)
            missing = (f"no indicator you may see has the value {c.value!r}", f"{c.field}value")
        else:
            targets = by_uuid.get(c.uuid)
            # Exactly like a nonexistent one: the gate's rule.
            missing = (f"no indicator {str(c.uuid)!r}", f"{c.field}indicator")
        if not targets:
            raise NotFound(*missing)
        tlp, dist, group = c.labels
        for pk, owner in targets:
            rows.append(
                Sighting(
                    type=c.type, indicator_id=pk, source=c.item.source.strip(), time=c.time,
                    count=c.item.count, owner_id=viewer.org_id, originator_id=viewer.org_id,
                    tlp=tlp, pap="AMBER", distribution=dist, sharing_group=group,
                )
            )  # fmt: skip
            # Expiring someone else's indicator is only their information to act on.
            if c.type == "expiration" and owner == viewer.org_id:
                expire.setdefault(c.time, set()).add(pk)
    Sighting.objects.bulk_create(rows, batch_size=2000)
    refresh_counters({r.indicator_id for r in rows}, viewer)
    for when, ids in expire.items():
        access_indicators(viewer).filter(pk__in=sorted(ids), event__owner_id=viewer.org_id).update(
            valid_until=when, modified=now
        )
    record(
        ctx, "sighting.add", object_type="sighting",
        object_id=str(rows[0].uuid) if len(rows) == 1 else "",
        detail={"sightings": len(rows), "indicators": len({r.indicator_id for r in rows}),
                "types": dict(Counter(r.type for r in rows)),
                "expired": sum(len(ids) for ids in expire.values())},
    )  # fmt: skip
    return rows


def do_add_sightings(ctx: Context, viewer: Viewer, items: list[IncomingSighting]) -> int:
    """Record sightings (atomic, audited, bulk); returns how many were recorded. A value
    sights every indicator with that canonical value the viewer may see; an indicator uuid
    the viewer may not see answers NotFound, like one that does not exist."""
    return len(record_sightings(ctx, viewer, items))
