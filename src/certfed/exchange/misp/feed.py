"""A MISP feed per collection: manifest.json, hashes.csv and one {uuid}.json per event, in
the layout MISP's feed generator writes, so a MISP instance subscribes to certfed unchanged.

A collection's feed holds its published events — those whose distribution is the
collection's audience — and, in each, the indicators whose effective distribution is that
audience too (collection_indicators). An indicator narrowed below its event's audience is in
no feed of that event: the feed stays one audience, as a subscriber that re-shares it expects
(the export endpoint still gives the reader every indicator they may see).
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from django.db.models import Prefetch, QuerySet

from certfed.intel.models import Event
from certfed.kernel import misp
from certfed.sharing.access import Viewer
from certfed.sharing.collections import Collection, collection_events, collection_indicators

from .export import event_dict, event_json

CHUNK = 500


def feed_events(viewer: Viewer, collection: Collection) -> QuerySet:
    """Published events of the collection the viewer may see (drafts never reach a feed)."""
    return (
        collection_events(viewer, collection)
        .filter(published=True)
        .select_related("owner", "originator", "sharing_group")
        .prefetch_related("tags")
        .order_by("-date", "-id")
    )


def feed_indicators(viewer: Viewer, collection: Collection) -> QuerySet:
    """Indicators of the collection whose events are in the feed."""
    return (
        collection_indicators(viewer, collection)
        .filter(collection.event_q("event__"), event__published=True)
        .order_by("event_id", "id")
    )


def _with_indicators(qs: QuerySet, viewer: Viewer, collection: Collection) -> QuerySet:
    visible = feed_indicators(viewer, collection).select_related("sharing_group")
    return qs.prefetch_related(Prefetch("indicators", queryset=visible))


def manifest(viewer: Viewer, collection: Collection) -> Iterator[bytes]:
    """manifest.json: {event uuid: {Orgc, Tag, info, date, analysis, threat_level_id,
    timestamp}}, streamed one entry at a time."""
    yield b"{"
    first = True
    for event in feed_events(viewer, collection).iterator(chunk_size=CHUNK):
        entry = misp.manifest_entry(event_dict(event, [], feed=True))
        key = orjson.dumps(str(event.uuid))
        yield (b"" if first else b",") + key + b":" + orjson.dumps(entry)
        first = False
    yield b"}"


def hashes(viewer: Viewer, collection: Collection) -> Iterator[bytes]:
    """hashes.csv: one `md5 of an attribute value,event uuid` line per attribute value."""
    rows = feed_indicators(viewer, collection).values_list("type", "value", "event__uuid")
    lines: list[str] = []
    for type_name, value, event_uuid in rows.iterator(chunk_size=5000):
        misp_type, _ = misp.attribute_type(type_name)
        lines.extend(f"{h},{event_uuid}\n" for h in misp.value_hashes(misp_type, value))
        if len(lines) >= 2000:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


def event_document(viewer: Viewer, collection: Collection, event_uuid: str) -> bytes | None:
    """{uuid}.json: the event with the collection's indicators; None when it is not in the
    feed (absent, invisible, a draft, or another collection's: all answer alike)."""
    import uuid

    try:
        key = uuid.UUID(event_uuid)
    except ValueError:
        return None
    event: Event | None = _with_indicators(
        feed_events(viewer, collection).filter(uuid=key), viewer, collection
    ).first()
    if event is None:
        return None
    return event_json(event, event.indicators.all(), feed=True)
