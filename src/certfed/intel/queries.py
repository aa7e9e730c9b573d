"""Reads of events and indicators, always through the sharing gate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from certfed.intel.models import Event, Indicator
from certfed.intel.validation import clean_datetime
from certfed.kernel.indicators import TYPES, InvalidIndicator, normalise, normalise_any, refang
from certfed.kernel.labels import LabelError, parse_distribution, parse_tlp, stricter_tlp
from certfed.platform.errors import Invalid
from certfed.sharing.access import (
    Viewer,
    access_events,
    access_indicators,
    access_indicators_of_visible_events,
)


@dataclass
class EventFilters:
    """The filters every event list accepts (REST, web, exports)."""

    tlp: str | None = None
    distribution: str | None = None
    owner: str | None = None
    tag: str | None = None
    since: str | None = None
    published: bool | None = None
    threat_level: str | None = None
    q: str | None = None


def _filtered(qs: QuerySet, f: EventFilters) -> QuerySet:
    try:
        if f.tlp:
            qs = qs.filter(tlp=parse_tlp(f.tlp))
        if f.distribution:
            qs = qs.filter(distribution=parse_distribution(f.distribution))
    except LabelError as exc:
        raise Invalid(exc.message, exc.field) from None
    if f.owner:
        qs = qs.filter(owner__short_name__iexact=f.owner.strip())
    if f.tag:
        tag = f.tag.strip()
        qs = qs.filter(tags__name__in={tag, tag.upper()}).distinct()
    if f.since:
        since = clean_datetime(f.since, "since")
        qs = qs.filter(modified__gte=since)
    if f.published is not None:
        qs = qs.filter(published=f.published)
    if f.threat_level:
        qs = qs.filter(threat_level=f.threat_level)
    if f.q:
        qs = qs.filter(Q(title__icontains=f.q.strip()) | Q(description__icontains=f.q.strip()))
    return qs


def access_event_list(viewer: Viewer, filters: EventFilters | None = None) -> QuerySet:
    """Visible events, filtered; without their indicators (see with_indicators)."""
    qs = access_events(viewer).select_related("owner", "originator", "sharing_group")
    return _filtered(qs, filters or EventFilters())


def with_details(qs: QuerySet, viewer: Viewer, *, indicators: bool = True) -> QuerySet:
    """Prefetch tags and the indicators the viewer may see, in two queries for any page."""
    qs = qs.prefetch_related("tags")
    if indicators:
        visible = access_indicators_of_visible_events(viewer).select_related("sharing_group")
        qs = qs.prefetch_related(Prefetch("indicators", queryset=visible))
    return qs


def with_indicator_counts(qs: QuerySet, viewer: Viewer) -> QuerySet:
    # The GROUP BY drops Meta.ordering, so order again: pages must be stable.
    return qs.annotate(
        visible_indicators=Count("indicators", filter=_prefixed_child_q(viewer), distinct=True)
    ).order_by("-date", "-id")


def _prefixed_child_q(viewer: Viewer) -> Q:
    from certfed.sharing.access import audience_q

    own = audience_q(viewer, "indicators__", owner_path="owner_id")
    return Q(indicators__distribution__isnull=True) | own


def access_event(viewer: Viewer, event_uuid: Any) -> Event | None:
    import uuid

    try:
        key = uuid.UUID(str(event_uuid))
    except ValueError:
        return None
    return with_details(access_event_list(viewer), viewer).filter(uuid=key).first()


def normalised_query(value: str, type_name: str | None) -> tuple[str | None, str]:
    """The canonical form of a searched value, so defanged input finds stored values."""
    if type_name and type_name not in TYPES:
        raise Invalid(f"{type_name!r} is not one of {', '.join(sorted(TYPES))}", "type")
    try:
        if type_name:
            return type_name, normalise(type_name, value)
        return normalise_any(value)
    except InvalidIndicator:
        return type_name, refang(value).strip().lower()


def access_indicator_search(
    viewer: Viewer,
    *,
    value: str | None = None,
    type_name: str | None = None,
    contains: str | None = None,
    since: str | None = None,
) -> QuerySet:
    qs = access_indicators(viewer).select_related("event", "event__owner", "sharing_group")
    if value:
        detected, canonical = normalised_query(value, type_name)
        qs = qs.filter(value=canonical)
        if type_name:
            qs = qs.filter(type=type_name)
    elif type_name:
        if type_name not in TYPES:
            raise Invalid(f"{type_name!r} is not one of {', '.join(sorted(TYPES))}", "type")
        qs = qs.filter(type=type_name)
    if contains:
        qs = qs.filter(value__icontains=refang(contains).strip())
    if since:
        qs = qs.filter(modified__gte=clean_datetime(since, "since"))
    return qs.order_by("-event__date", "id")


def effective_tlp(indicator: Indicator, event: Event | None = None) -> str:
    event = event or indicator.event
    return stricter_tlp(event.tlp, indicator.tlp) if indicator.tlp else event.tlp


def effective_pap(indicator: Indicator, event: Event | None = None) -> str:
    from certfed.kernel.labels import pap_rank

    event = event or indicator.event
    if indicator.pap and pap_rank(indicator.pap) > pap_rank(event.pap):
        return indicator.pap
    return event.pap


def parse_since(value: str | None) -> dt.datetime | None:
    return clean_datetime(value, "since") if value else None
