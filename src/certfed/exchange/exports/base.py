"""What every export shares: its options, its registry entry, the indicators a detection
export may list (through the gate, then the detection filter), and the read audit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from certfed.audit.log import context_for, record
from certfed.intel.lifetime import detection_filter
from certfed.platform.errors import ActionError
from certfed.sharing.access import Viewer, access_indicators

RESTRICTED_TLP = ("RED", "AMBER+STRICT")


class Unavailable(ActionError):
    """The format exists but its implementation is not installed in this build."""

    status = 501


@dataclass(frozen=True)
class ExportOptions:
    include_expired: bool = False
    include_decayed: bool = False
    include_warninglisted: bool = False
    include_non_detect: bool = False
    types: tuple[str, ...] = ()  # indicator types to keep; empty keeps all
    sid_base: int | None = None  # Suricata: None uses CERTFED_SURICATA_SID_BASE
    base_url: str = ""  # absolute root of this server, for links back to events


Render = Callable[[Viewer, QuerySet, ExportOptions], Iterator[bytes]]


@dataclass(frozen=True)
class ExportFormat:
    """One export. A detection export renders indicators (already gate- and
    detection-filtered); an event export (misp, stix) renders events and their visible
    indicators itself. `load` returns the renderer, importing it lazily so a format whose
    module is missing answers a clear error before the response starts."""

    name: str
    content_type: str
    extension: str
    detection: bool
    load: Callable[[], Render]
    check: Callable[[ExportOptions], object] | None = None  # raises ActionError up front


def event_indicators(viewer: Viewer, events: QuerySet) -> QuerySet:
    """The visible indicators of the given (gate-filtered) events."""
    return access_indicators(viewer).filter(event_id__in=events.order_by().values("pk"))


def detection_indicators(viewer: Viewer, events: QuerySet, options: ExportOptions) -> QuerySet:
    """What a detection export lists: visible indicators of the events, minus expired,
    decayed, warninglisted and non-detection ones unless the options put them back."""
    # The viewer too: decay counts only the sightings the viewer may see, so an indicator
    # kept alive by sightings outside its audience does not reveal them.
    qs = detection_filter(
        event_indicators(viewer, events),
        viewer=viewer,
        include_expired=options.include_expired,
        include_decayed=options.include_decayed,
        include_warninglisted=options.include_warninglisted,
        include_non_detect=options.include_non_detect,
    )
    if options.types:
        qs = qs.filter(type__in=options.types)
    return qs


def audit_export(
    request, viewer: Viewer, events: QuerySet, indicators: QuerySet, *, what: str
) -> None:
    """Reading another organisation's RED or AMBER+STRICT content is always audited: record
    which such events (or events holding such indicators) this export includes."""
    if viewer.anonymous or not viewer.active:
        return
    foreign_events = events.order_by().exclude(owner_id=viewer.org_id)
    restricted = set(
        foreign_events.filter(tlp__in=RESTRICTED_TLP).values_list("uuid", flat=True)[:1000]
    )
    restricted.update(
        indicators.order_by()
        .exclude(event__owner_id=viewer.org_id)
        .filter(tlp__in=RESTRICTED_TLP)
        .values_list("event__uuid", flat=True)
        .distinct()[:1000]
    )
    if not restricted:
        return
    via = "api" if getattr(request, "api_key", None) else "web"
    record(
        context_for(request, via),
        "export.read",
        object_type="export",
        object_id=what[:64],
        detail={"restricted": sorted(str(u) for u in restricted)},
    )
