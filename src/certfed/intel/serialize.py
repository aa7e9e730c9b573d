"""Events and indicators as the API's JSON: effective labels, never more than the viewer
may see (the querysets passed in come from the gate).

Sighting counts, last sighting, decay score and correlation count depend on what the
reader may see, so the documents are rendered with "none visible" (0, null, the unsighted
decay score, 0) and `with_viewer_stats` fills them in for a viewer. The denormalised
Indicator.sighting_count/false_positive_count/last_sighted columns count every sighting,
whoever may see it: they are never rendered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from certfed.intel.lifetime import score_of
from certfed.intel.models import Event, Indicator
from certfed.intel.queries import effective_pap, effective_tlp
from certfed.sharing.access import Viewer


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
        "warninglist": ind.warninglist,
        "sighting_count": 0,
        "false_positive_count": 0,
        "last_sighted": None,
        "decay_score": score_of(
            ind.type, last_sighted=None, first_seen=ind.first_seen, created=ind.created
        ),
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
        "correlation_count": 0,
        "created": event.created,
        "modified": event.modified,
    }


def indicator_hit_json(ind: Indicator) -> dict[str, Any]:
    data = indicator_json(ind, ind.event)
    data["event"] = str(ind.event.uuid)
    data["event_title"] = ind.event.title
    data["owner"] = ind.event.owner.short_name
    return data


def with_viewer_stats(
    viewer: Viewer,
    *,
    events: Sequence[tuple[Event, dict[str, Any]]] = (),
    indicators: Sequence[dict[str, Any]] = (),
    correlations: bool = True,
) -> None:
    """Fill in, for this viewer, the sighting counts, last sighting and decay score of the
    indicator documents (inside the event documents, and the loose ones given) and the
    events' correlation counts. A fixed number of queries whatever the page size."""
    from certfed.intel.correlation import correlation_counts
    from certfed.intel.sightings import NO_STATS, visible_stats

    inside = [i for _, doc in events for i in doc.get("indicators", ())]
    stats = {}
    if inside:
        stats.update(visible_stats(viewer, event_ids=[e.pk for e, _ in events]))
    if indicators:
        stats.update(visible_stats(viewer, indicator_uuids=[d["uuid"] for d in indicators]))
    for doc in (*inside, *indicators):
        seen = stats.get(doc["uuid"], NO_STATS)
        if seen is NO_STATS:
            continue
        doc["sighting_count"] = seen.sightings
        doc["false_positive_count"] = seen.false_positives
        doc["last_sighted"] = seen.last_sighted
        doc["decay_score"] = score_of(
            doc["type"], last_sighted=seen.last_sighted, first_seen=doc["first_seen"],
            created=doc["created"],
        )  # fmt: skip
    if correlations and events:
        counts = correlation_counts(viewer, [e.pk for e, _ in events])
        for event, doc in events:
            doc["correlation_count"] = counts.get(event.pk, 0)


def sighting_json(s) -> dict[str, Any]:
    """A sighting the reader may see (from access_sightings or just recorded by them)."""
    return {
        "uuid": str(s.uuid),
        "type": s.type,
        "indicator": str(s.indicator.uuid),
        "event": str(s.indicator.event.uuid),
        "value": s.indicator.value,
        "source": s.source,
        "time": s.time,
        "count": s.count,
        "owner": s.owner.short_name,
        "tlp": s.tlp,
        "distribution": s.distribution,
        "sharing_group": str(s.sharing_group.uuid) if s.sharing_group_id else None,
        "created": s.created,
    }


def correlation_json(c) -> dict[str, Any]:
    """One correlated event (from intel.correlation, gate-filtered) and what it shares."""
    e = c.event
    return {
        "event": {
            "uuid": str(e.uuid),
            "title": e.title,
            "date": e.date,
            "owner": e.owner.short_name,
            "tlp": e.tlp,
        },
        "count": c.count,
        "shared": [
            {"value": s.value, "via": s.via, "matched": s.other_value} for s in c.shared[:200]
        ],
    }
