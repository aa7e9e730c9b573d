"""Events and indicators as the API's JSON: effective labels, never more than the viewer
may see (the querysets passed in come from the gate)."""

from __future__ import annotations

from typing import Any

from certfed.intel.models import Event, Indicator
from certfed.intel.queries import effective_pap, effective_tlp


def indicator_json(ind: Indicator, event: Event) -> dict[str, Any]:
    own_group = ind.sharing_group.uuid if ind.distribution and ind.sharing_group_id else None
    event_group = event.sharing_group.uuid if event.sharing_group_id else None
    return {
        "uuid": str(ind.uuid),
        "type": ind.type,
        "value": ind.value,
        "comment": ind.comment,
        "to_detect": ind.to_detect,
        "first_seen": ind.first_seen,
        "last_seen": ind.last_seen,
        "valid_until": ind.valid_until,
        "tlp": effective_tlp(ind, event),
        "pap": effective_pap(ind, event),
        "distribution": ind.distribution or event.distribution,
        "sharing_group": str(own_group or event_group) if (own_group or event_group) else None,
        "created": ind.created,
        "modified": ind.modified,
    }


def event_json(event: Event, *, indicators: bool = True) -> dict[str, Any]:
    """`event` must come from queries.with_details: its indicators are then exactly the ones
    the viewer may see. Anything else is refused rather than risk listing them all."""
    if indicators and "indicators" not in getattr(event, "_prefetched_objects_cache", {}):
        raise RuntimeError("event_json needs an event from with_details (gate-filtered)")
    inds = list(event.indicators.all()) if indicators else []
    return {
        "uuid": str(event.uuid),
        "title": event.title,
        "description": event.description,
        "date": event.date,
        "threat_level": event.threat_level,
        "tlp": event.tlp,
        "pap": event.pap,
        "distribution": event.distribution,
        "sharing_group": str(event.sharing_group.uuid) if event.sharing_group_id else None,
        "owner": event.owner.short_name,
        "originator": event.originator.short_name,
        "published": event.published,
        "tags": sorted(t.name for t in event.tags.all()),
        "indicator_count": len(inds),
        "indicators": [indicator_json(i, event) for i in inds],
        "created": event.created,
        "modified": event.modified,
    }


def indicator_hit_json(ind: Indicator) -> dict[str, Any]:
    data = indicator_json(ind, ind.event)
    data["event"] = str(ind.event.uuid)
    data["event_title"] = ind.event.title
    data["owner"] = ind.event.owner.short_name
    return data
