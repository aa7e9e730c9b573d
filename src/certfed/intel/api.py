"""REST handlers for events and indicators: parse, call a query or an action, render."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from ninja import Query, Router, Schema
from ninja.responses import Status

from certfed.intel.actions import do_create_event, do_delete_event, do_update_event
from certfed.intel.audit import audit_event_reads
from certfed.intel.queries import (
    EventFilters,
    access_event,
    access_event_list,
    access_indicator_search,
    with_details,
)
from certfed.intel.schemas import EventIn, EventOut, EventPage, IndicatorPage
from certfed.intel.serialize import event_json, indicator_hit_json
from certfed.platform.api import MEMBER_OR_PUBLIC
from certfed.platform.pagination import page
from certfed.platform.request import context, viewer, writer

router = Router(tags=["intel"])


class EventQuery(Schema):
    tlp: str | None = None
    distribution: str | None = None
    owner: str | None = None
    tag: str | None = None
    since: str | None = None
    published: bool | None = None
    threat_level: str | None = None
    q: str | None = None
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
    result = page(request, qs, filters.limit, filters.offset, event_json)
    audit_event_reads(request, v, result["results"])
    return result


@router.post("/events", response={201: EventOut, **ERRORS})
def create_event(request, payload: EventIn):
    """Create an event (and its indicators) owned by your organisation."""
    v = writer(request)
    event = do_create_event(context(request), v, payload.dict(exclude_unset=True))
    return Status(201, event_json(access_event(v, event.uuid)))


@router.get("/events/{event_uuid}", response={200: EventOut, **ERRORS}, auth=MEMBER_OR_PUBLIC)
def get_event(request, event_uuid: str):
    v = viewer(request)
    event = access_event(v, event_uuid)
    if event is None:
        raise Http404
    data = event_json(event)
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
    return event_json(access_event(v, event_uuid))


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
    audit_event_reads(request, v, result["results"])
    return result
