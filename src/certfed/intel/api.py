"""REST handlers for events and indicators: parse, call a query or an action, render."""

from __future__ import annotations

import orjson
from django.http import Http404, HttpResponse
from ninja import Query, Router, Schema
from ninja.responses import Status

from certfed.intel.actions import do_create_event, do_delete_event, do_update_event
from certfed.intel.audit import audit_correlation_reads, audit_event_reads
from certfed.intel.queries import (
    EventFilters,
    access_event,
    access_event_list,
    access_indicator_search,
    with_details,
)
from certfed.intel.schemas import (
    CorrelationsOut,
    EventFilterQuery,
    EventIn,
    EventOut,
    EventPage,
    IndicatorPage,
    SightingIn,
    SightingPage,
    SightingsRecorded,
)
from certfed.intel.serialize import (
    correlation_json,
    event_json,
    indicator_hit_json,
    sighting_json,
    with_viewer_stats,
)
from certfed.platform.api import MEMBER_OR_PUBLIC
from certfed.platform.errors import Invalid
from certfed.platform.pagination import page
from certfed.platform.request import context, viewer, writer

router = Router(tags=["intel"])


class EventQuery(EventFilterQuery):
    limit: int | None = None
    offset: int | None = None


class Problem(Schema):
    detail: object


ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem}


@router.get("/events", response={200: EventPage, **ERRORS}, auth=MEMBER_OR_PUBLIC)
def list_events(request, filters: Query[EventQuery]):
    """Events you may see, newest first. Public events need no credentials."""
    v = viewer(request)
    f = EventFilters(**filters.dict(exclude={"limit", "offset"}))
    qs = with_details(access_event_list(v, f), v)
    shown: list = []

    def render(event):
        shown.append((event, event_json(event)))
        return shown[-1][1]

    result = page(request, qs, filters.limit, filters.offset, render)
    with_viewer_stats(v, events=shown)
    audit_event_reads(request, v, result["results"])
    return result


def _event_doc(v, event) -> dict:
    doc = event_json(event)
    with_viewer_stats(v, events=[(event, doc)])
    return doc


@router.post("/events", response={201: EventOut, **ERRORS})
def create_event(request, payload: EventIn):
    """Create an event (and its indicators) owned by your organisation."""
    v = writer(request)
    event = do_create_event(context(request), v, payload.dict(exclude_unset=True))
    return Status(201, _event_doc(v, access_event(v, event.uuid)))


@router.get("/events/{event_uuid}", response={200: EventOut, **ERRORS}, auth=MEMBER_OR_PUBLIC)
def get_event(request, event_uuid: str):
    v = viewer(request)
    event = access_event(v, event_uuid)
    if event is None:
        raise Http404
    data = _event_doc(v, event)
    audit_event_reads(request, v, [data], detail=True)
    return data


@router.patch("/events/{event_uuid}", response={200: EventOut, **ERRORS})
def update_event(request, event_uuid: str, payload: EventIn):
    """Change some fields; `indicators`, when given, replaces the event's list."""
    v = viewer(request)
    event = access_event(v, event_uuid)
    if event is None:
        raise Http404
    v = writer(request)
    do_update_event(context(request), v, event, payload.dict(exclude_unset=True))
    return _event_doc(v, access_event(v, event_uuid))


@router.delete("/events/{event_uuid}", response={204: None, **ERRORS})
def delete_event(request, event_uuid: str):
    v = viewer(request)
    event = access_event(v, event_uuid)
    if event is None:
        raise Http404
    do_delete_event(context(request), writer(request), event)
    return HttpResponse(status=204)


class IndicatorQuery(Schema):
    value: str | None = None
    type: str | None = None
    contains: str | None = None
    since: str | None = None
    limit: int | None = None
    offset: int | None = None


@router.get("/indicators", response={200: IndicatorPage, **ERRORS}, auth=MEMBER_OR_PUBLIC)
def search_indicators(request, params: Query[IndicatorQuery]):
    """Find indicators by value (defanged input is refanged first), type or substring."""
    v = viewer(request)
    qs = access_indicator_search(
        v, value=params.value, type_name=params.type, contains=params.contains,
        since=params.since,
    )  # fmt: skip
    result = page(request, qs, params.limit, params.offset, indicator_hit_json)
    with_viewer_stats(v, indicators=result["results"])
    audit_event_reads(request, v, result["results"])
    return result


@router.get(
    "/events/{event_uuid}/correlations",
    response={200: CorrelationsOut, **ERRORS},
    auth=MEMBER_OR_PUBLIC,
)
def event_correlations(request, event_uuid: str):
    """Other events you may see that share a value with this one (exactly, or an address
    and a network holding it), counting only indicators you may see on both sides. Values
    held by more events than the correlation limit are listed, not expanded."""
    from certfed.intel.correlation import correlation_report

    v = viewer(request)
    event = access_event(v, event_uuid)
    if event is None:
        raise Http404
    report = correlation_report(v, event)
    audit_correlation_reads(request, v, report)
    return {
        "event": str(event.uuid),
        "correlation_count": len(report.correlations),
        "correlations": [correlation_json(c) for c in report.correlations],
        "over_correlating": [{"value": v_, "type": t} for v_, t in report.over_correlating],
    }


# -- sightings --------------------------------------------------------------------------------

MAX_SIGHTINGS = 100_000
SHOWN_SIGHTINGS = 1000
_SIGHTING_FIELDS = set(SightingIn.model_fields)


def _incoming_sightings(body: bytes) -> list:
    from certfed.intel.sightings import IncomingSighting

    try:
        data = orjson.loads(body or b"null")
    except orjson.JSONDecodeError:
        raise Invalid("the body is not valid JSON", "body") from None
    if not isinstance(data, dict | list):
        raise Invalid("must be a sighting object or a list of them", "body")
    items = data if isinstance(data, list) else [data]
    if len(items) > MAX_SIGHTINGS:
        raise Invalid(f"{len(items)} sightings; at most {MAX_SIGHTINGS} per request", "body")
    out = []
    for i, item in enumerate(items):
        where = f"sightings[{i}]" if len(items) > 1 else ""
        if not isinstance(item, dict):
            raise Invalid("must be an object", where or "body")
        unknown = sorted(set(item) - _SIGHTING_FIELDS)
        if unknown:
            raise Invalid(f"unknown field {unknown[0]!r}", f"{where}.{unknown[0]}".lstrip("."))
        out.append(
            IncomingSighting(
                type=item.get("type", "sighting"), value=item.get("value"),
                indicator_uuid=item.get("indicator"), source=item.get("source") or "",
                time=item.get("time"), count=item.get("count", 1), tlp=item.get("tlp"),
                distribution=item.get("distribution"),
                sharing_group=item.get("sharing_group"),
            )
        )  # fmt: skip
    return out


_SIGHTINGS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        SightingIn.model_json_schema(),
                        {"type": "array", "items": SightingIn.model_json_schema()},
                    ]
                }
            }
        },
    }
}


@router.post(
    "/sightings", response={201: SightingsRecorded, **ERRORS}, openapi_extra=_SIGHTINGS_BODY
)
def add_sightings(request):
    """Report sightings (one object or a list): `sighting`, `false-positive` or
    `expiration` of a value (every indicator you may see with it) or of one indicator by
    uuid. They are yours (TLP AMBER, your organisation only, unless you say otherwise) and
    shown only to organisations in both their audience and the indicator's. An expiration
    sets valid_until on your own indicators only. All or nothing."""
    from certfed.intel.sightings import access_sightings, record_sightings

    v = writer(request)
    rows = record_sightings(context(request), v, _incoming_sightings(request.body))
    shown = (
        access_sightings(v)
        .filter(pk__in=[r.pk for r in rows[:SHOWN_SIGHTINGS]])
        .select_related("indicator__event", "owner", "sharing_group")
    )
    return Status(201, {"count": len(rows), "results": [sighting_json(s) for s in shown]})


class SightingQuery(Schema):
    indicator: str | None = None
    value: str | None = None
    type: str | None = None
    since: str | None = None
    limit: int | None = None
    offset: int | None = None


@router.get("/sightings", response={200: SightingPage, **ERRORS}, auth=MEMBER_OR_PUBLIC)
def list_sightings(request, params: Query[SightingQuery]):
    """Sightings you may see, newest first; filter by indicator uuid, value, type, since."""
    import uuid as uuidlib

    from certfed.intel.queries import normalised_query, parse_since
    from certfed.intel.sightings import TYPES, access_sightings

    v = viewer(request)
    qs = access_sightings(v).select_related("indicator__event", "owner", "sharing_group")
    if params.indicator:
        try:
            qs = qs.filter(indicator__uuid=uuidlib.UUID(params.indicator))
        except ValueError:
            raise Invalid(f"{params.indicator!r} is not a UUID", "indicator") from None
    if params.value:
        qs = qs.filter(indicator__value=normalised_query(params.value, None)[1])
    if params.type:
        if params.type not in TYPES:
            raise Invalid(f"{params.type!r} is not one of {', '.join(TYPES)}", "type")
        qs = qs.filter(type=params.type)
    if params.since:
        qs = qs.filter(time__gte=parse_since(params.since))
    return page(request, qs.order_by("-time", "-id"), params.limit, params.offset, sighting_json)
