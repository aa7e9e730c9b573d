"""JSON shapes of events and indicators, for the API and its OpenAPI document."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from certfed.platform.pagination import Page

TLP = Literal["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]
PAP = Literal["CLEAR", "GREEN", "AMBER", "RED"]
DISTRIBUTION = Literal["organisation", "sharing_group", "community", "federation", "public"]


class IndicatorIn(Schema):
    uuid: str | None = None
    type: str | None = Field(
        None,
        description="ipv4, ipv6, cidr, domain, url, email, md5, "
        "sha1, sha256 or cve; detected from the value when omitted",
    )
    value: str
    comment: str | None = None
    to_detect: bool | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    valid_until: str | None = None
    tlp: str | None = Field(None, description="only to narrow the event's TLP")
    pap: str | None = None
    distribution: str | None = Field(None, description="only to narrow the event's audience")
    sharing_group: str | None = None


class EventIn(Schema):
    uuid: str | None = None
    title: str | None = None
    description: str | None = None
    date: str | None = Field(None, description="YYYY-MM-DD; today when omitted")
    threat_level: str | None = Field(None, description="high, medium, low or undefined")
    tags: list[str] | None = Field(None, description="free text, ATT&CK ids (T1566), rsit:…")
    tlp: str | None = Field(None, description="CLEAR, GREEN, AMBER, AMBER+STRICT or RED")
    pap: str | None = None
    distribution: str | None = Field(
        None, description="organisation, sharing_group, community, federation or public"
    )
    sharing_group: str | None = Field(None, description="uuid, with distribution sharing_group")
    published: bool | None = Field(None, description="drafts are seen by their owner only")
    indicators: list[IndicatorIn | str] | None = None


class IndicatorOut(Schema):
    uuid: str
    type: str
    value: str
    comment: str
    to_detect: bool
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    valid_until: dt.datetime | None
    tlp: TLP
    pap: PAP
    distribution: DISTRIBUTION
    sharing_group: str | None
    created: dt.datetime
    modified: dt.datetime
    warninglist: str = Field("", description="the first MISP warninglist the value is on")
    sighting_count: int = Field(0, description="sightings you may see")
    false_positive_count: int = Field(0, description="false-positive reports you may see")
    last_sighted: dt.datetime | None = Field(None, description="the last sighting you may see")
    decay_score: float = Field(
        description="0-100, MISP polynomial decay since the last sighting you may see "
        "(else first_seen, else created)"
    )


class EventOut(Schema):
    uuid: str
    title: str
    description: str
    date: dt.date
    threat_level: str
    tlp: TLP
    pap: PAP
    distribution: DISTRIBUTION
    sharing_group: str | None
    owner: str
    originator: str
    published: bool
    tags: list[str]
    indicator_count: int
    indicators: list[IndicatorOut]
    correlation_count: int = Field(0, description="other events you may see sharing a value")
    created: dt.datetime
    modified: dt.datetime


class IndicatorHit(IndicatorOut):
    event: str = Field(description="uuid of the event holding it")
    event_title: str
    owner: str


class EventPage(Page):
    results: list[EventOut]


class IndicatorPage(Page):
    results: list[IndicatorHit]


class SightingIn(Schema):
    type: Literal["sighting", "false-positive", "expiration"] = "sighting"
    value: str | None = Field(None, description="sights every indicator you may see with it")
    indicator: str | None = Field(None, description="uuid of one indicator (instead of value)")
    source: str = Field("", description="where it was seen: sensor, SIEM rule…")
    time: str | None = Field(None, description="ISO 8601; now when omitted")
    count: int = 1
    tlp: str | None = Field(None, description="AMBER when omitted")
    distribution: str | None = Field(None, description="organisation when omitted")
    sharing_group: str | None = None


class SightingOut(Schema):
    uuid: str
    type: str
    indicator: str
    event: str
    value: str
    source: str
    time: dt.datetime
    count: int
    owner: str
    tlp: TLP
    distribution: DISTRIBUTION
    sharing_group: str | None
    created: dt.datetime


class SightingsRecorded(Schema):
    count: int
    results: list[SightingOut]


class SightingPage(Page):
    results: list[SightingOut]


class CorrelatedEvent(Schema):
    uuid: str
    title: str
    date: dt.date
    owner: str
    tlp: TLP


class SharedValue(Schema):
    value: str
    via: Literal["exact", "cidr"]
    matched: str = Field(description="the other event's value (a containing network…)")


class CorrelationOut(Schema):
    event: CorrelatedEvent
    count: int = Field(description="values of this event it shares")
    shared: list[SharedValue] = Field(description="at most 200")


class OverCorrelating(Schema):
    value: str
    type: str


class CorrelationsOut(Schema):
    event: str
    correlation_count: int
    correlations: list[CorrelationOut]
    over_correlating: list[OverCorrelating] = Field(
        description="values held by more events than the correlation limit: not expanded"
    )


class EventFilterQuery(Schema):
    """The event list's filters, shared by every surface that lists events (list, exports)."""

    tlp: str | None = None
    distribution: str | None = None
    owner: str | None = None
    tag: str | None = None
    since: str | None = None
    published: bool | None = None
    threat_level: str | None = None
    q: str | None = None
