"""STIX 2.1 bundle export of events the caller may see, streamed.

Events are read in keyset chunks and their indicators with a server-side iterator, so a
bundle of any size is written in bounded memory: a few queries per chunk of events, never
one per indicator.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import orjson
from django.db.models import QuerySet

from certfed.audit.log import Context, record
from certfed.exchange.stix.queries import (
    access_stix_objects,
    access_stix_objects_of_visible_events,
)
from certfed.exchange.stix.serialize import (
    EVENT_FIELDS,
    INDICATOR_FIELDS,
    Creators,
    indicator_stix,
    indicator_stix_id,
    report_stix,
)
from certfed.kernel import stix21
from certfed.sharing.access import (
    Viewer,
    access_events,
    access_indicators_of_visible_events,
    event_visible_q,
)

EVENT_CHUNK = 200
_RESTRICTED = ("RED", "AMBER+STRICT")


def export_stix(viewer: Viewer, events: QuerySet, *, ctx: Context | None = None) -> Iterator[bytes]:
    """A STIX 2.1 bundle (JSON bytes, in pieces) of `events` — a queryset from
    intel.queries.access_event_list — with the indicators and kept objects in them the
    viewer may see, their creators' identities and the TLP 2.0 markings they use.

    With `ctx`, reading another organisation's RED or AMBER+STRICT events is audited."""
    # Re-applying the gate costs one WHERE clause and makes a wrongly built queryset harmless.
    events = events.filter(event_visible_q(viewer)).order_by()
    yield b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'","objects":['
    first = True
    used_tlps: set[str] = set()
    emitted: set[str] = set()
    restricted: list[str] = []
    creators = Creators(viewer)
    last = 0
    while True:
        chunk = list(events.filter(pk__gt=last).order_by("pk").values(*EVENT_FIELDS)[:EVENT_CHUNK])
        if not chunk:
            break
        last = chunk[-1]["id"]
        for piece in _chunk_objects(viewer, chunk, creators, used_tlps, emitted):
            yield piece if first else b"," + piece
            first = False
        restricted += [
            str(e["uuid"])
            for e in chunk
            if e["owner_id"] != viewer.org_id and e["tlp"] in _RESTRICTED
        ]
    # Kept identities named as creators but kept in events outside this export.
    missing = sorted(set(creators.kept.values()) - emitted)
    for sid, raw in _kept_by_id(viewer, missing):
        if sid not in emitted:
            emitted.add(sid)
            yield raw.encode() if first else b"," + raw.encode()
            first = False
    for level in stix21.TLP2_MARKING_IDS:  # in a stable order
        if level in used_tlps:
            piece = orjson.dumps(stix21.tlp_marking(level))
            yield piece if first else b"," + piece
            first = False
    yield b"]}"
    if ctx is not None and restricted:
        record(ctx, "stix.export_read", object_type="event",
               detail={"restricted": restricted[:100], "count": len(restricted)})  # fmt: skip


def _kept_by_id(viewer: Viewer, stix_ids: list[str]):
    if not stix_ids:
        return []
    return (
        access_stix_objects(viewer)
        .filter(stix_id__in=stix_ids)
        .order_by("id")
        .values_list("stix_id", "raw")
    )


def _chunk_objects(viewer, chunk, creators, used_tlps, emitted) -> Iterator[bytes]:
    ids = [e["id"] for e in chunk]
    by_id = {e["id"]: e for e in chunk}
    creators.load(chunk)
    tags: dict[int, list[str]] = {i: [] for i in ids}
    # A fresh gate queryset: the caller's may filter on tags, which would narrow the join.
    tagged = access_events(viewer).filter(pk__in=ids, tags__isnull=False)
    for event_id, name in tagged.values_list("id", "tags__name"):
        tags[event_id].append(name)
    refs: dict[int, list[str]] = {i: [] for i in ids}

    kept = list(
        access_stix_objects_of_visible_events(viewer, ids)
        .order_by("id")
        .values_list("event_id", "stix_id", "tlp", "raw")
    )
    kept_ids = {sid for _, sid, _, _ in kept}
    for event_id, sid, tlp, raw in kept:
        refs[event_id].append(sid)
        used_tlps.add(tlp)
        if sid not in emitted:
            emitted.add(sid)
            yield raw.encode()

    indicators = (
        access_indicators_of_visible_events(viewer)
        .filter(event_id__in=ids)
        .order_by("event_id", "id")
        .values(*INDICATOR_FIELDS)
    )
    for row in indicators.iterator(chunk_size=5000):
        event = by_id[row["event_id"]]
        sid = indicator_stix_id(row["type"], row["uuid"])
        if sid in kept_ids:
            continue  # a CVE kept as the vulnerability object it came as
        refs[row["event_id"]].append(sid)
        obj = indicator_stix(row, event["tlp"], creators.ref(event))
        used_tlps.add(stix21.TLP_BY_MARKING_ID[obj["object_marking_refs"][0]])
        yield orjson.dumps(obj)

    for event in chunk:
        identity = creators.identity(event)
        if identity is not None and identity["id"] not in emitted:
            emitted.add(identity["id"])
            yield orjson.dumps(identity)
        used_tlps.add(event["tlp"])
        yield orjson.dumps(
            report_stix(event, refs[event["id"]], creators.ref(event), tags[event["id"]])
        )
