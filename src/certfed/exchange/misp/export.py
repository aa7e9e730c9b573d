"""Events as MISP JSON ({"Event": …}), for the export endpoint and the MISP feed.

Only gate-filtered events and the indicators the viewer may see are ever serialised: the
export reloads the events it is given through the gate, in chunks, with their visible
indicators prefetched (a fixed number of queries per chunk, never one per event).
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from django.db.models import QuerySet

from certfed.intel.models import Event, Indicator
from certfed.intel.queries import access_event_list, effective_pap, effective_tlp, with_details
from certfed.kernel import misp
from certfed.sharing.access import Viewer

CHUNK = 500
# Orgc uuids for originators known only by name (imported events): stable per name.
_ORG_NS = uuidlib.UUID("3d6b8a52-5d0b-4f0a-9c51-7c2f0e4b9a17")


def _stamp(obj: Event | Indicator) -> str:
    # The source's version when the object came from elsewhere, so a peer that already holds
    # it from its origin sees the same version, and sync loops settle.
    return misp.to_timestamp(obj.source_modified or obj.modified)


def _orgc(event: Event) -> dict[str, str]:
    if event.originator_name:
        name = event.originator_name
        return {"name": name, "uuid": str(uuidlib.uuid5(_ORG_NS, name.lower()))}
    return {"name": event.originator.short_name, "uuid": str(event.originator.uuid)}


def _group(group) -> dict[str, str]:
    return {"uuid": str(group.uuid), "name": group.name}


def _with_group(out: dict[str, Any], group) -> None:
    # MISP (and PyMISP) want a sharing_group_id with distribution 4; the receiver resolves
    # the group by the uuid in SharingGroup and replaces the id with its own.
    out["sharing_group_id"] = str(group.pk)
    out["SharingGroup"] = _group(group)


def attribute_dict(ind: Indicator, event: Event, *, feed: bool = False) -> dict[str, Any]:
    misp_type, category = misp.attribute_type(ind.type)
    tlp = effective_tlp(ind, event)
    pap = effective_pap(ind, event)
    out: dict[str, Any] = {
        "uuid": str(ind.uuid),
        "type": misp_type,
        "category": category,
        "value": ind.value,
        "comment": ind.comment,
        "to_ids": ind.to_detect,
        "timestamp": _stamp(ind),
        "deleted": False,
        "disable_correlation": False,
    }
    if ind.first_seen:
        out["first_seen"] = ind.first_seen.isoformat()
    if ind.last_seen:
        out["last_seen"] = ind.last_seen.isoformat()
    # Labels only where the indicator narrows its event's: MISP inherits the rest.
    tags = misp.label_tags(tlp if tlp != event.tlp else None, pap if pap != event.pap else None)
    if tags:
        out["Tag"] = tags
    if not feed:
        out["distribution"] = misp.distribution_id(ind.distribution)
        if ind.distribution == "sharing_group" and ind.sharing_group_id:
            _with_group(out, ind.sharing_group)
    return out


def event_dict(
    event: Event, indicators: Iterable[Indicator], *, feed: bool = False
) -> dict[str, Any]:
    """The body of {"Event": …}. `indicators` must already be the ones the reader may see.
    In a feed, distribution and sharing groups are left out (as MISP's feed generator does):
    the subscriber sets them per feed, and a feed is one audience anyway."""
    tags = misp.label_tags(event.tlp, event.pap) + [
        misp.tag(t.name) for t in sorted(event.tags.all(), key=lambda t: t.name)
    ]
    out: dict[str, Any] = {
        "uuid": str(event.uuid),
        "info": event.title,
        "date": event.date.isoformat(),
        "threat_level_id": misp.threat_level_id(event.threat_level),
        # certfed has no analysis state: a published event is a finished analysis.
        "analysis": "2" if event.published else "0",
        "published": event.published,
        "timestamp": _stamp(event),
        "publish_timestamp": misp.to_timestamp(event.published_at) if event.published_at else "0",
        "Orgc": _orgc(event),
        "Org": {"name": event.owner.short_name, "uuid": str(event.owner.uuid)},
        "Tag": tags,
        "Attribute": [attribute_dict(i, event, feed=feed) for i in indicators],
        "Object": [],
    }
    if event.description:
        # MISP events have no description: it travels as an event report, stable by uuid.
        out["EventReport"] = [
            {
                "uuid": str(uuidlib.uuid5(event.uuid, "description")),
                "name": "Description",
                "content": event.description,
                "timestamp": _stamp(event),
                "deleted": False,
            }
        ]
    if not feed:
        out["distribution"] = misp.distribution_id(event.distribution)
        if event.distribution == "sharing_group" and event.sharing_group_id:
            _with_group(out, event.sharing_group)
    return out


def event_json(event: Event, indicators: Iterable[Indicator], *, feed: bool = False) -> bytes:
    return orjson.dumps({"Event": event_dict(event, indicators, feed=feed)})


def _ids(events: QuerySet | Iterable[Event]) -> list[int]:
    if isinstance(events, QuerySet):
        return list(events.values_list("pk", flat=True))
    return [e.pk for e in events]


def export_misp(viewer: Viewer, events: QuerySet | Iterable[Event]) -> Iterator[bytes]:
    """A JSON list of {"Event": …}, streamed, in the order given. Each chunk of events is
    reloaded through the gate, so nothing outside the viewer's audience can slip in even if
    the caller passed an unfiltered queryset."""
    ids = _ids(events)
    yield b"["
    first = True
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        loaded = {e.pk: e for e in with_details(access_event_list(viewer).filter(pk__in=chunk),
                                                viewer)}  # fmt: skip
        for pk in chunk:
            event = loaded.get(pk)
            if event is None:
                continue
            yield (b"" if first else b",") + event_json(event, event.indicators.all())
            first = False
    yield b"]"
