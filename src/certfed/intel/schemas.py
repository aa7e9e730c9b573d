"""JSON shapes of events and indicators, for the API and its OpenAPI document."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

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
    created: dt.datetime
    modified: dt.datetime


class IndicatorHit(IndicatorOut):
    event: str = Field(description="uuid of the event holding it")
    event_title: str
    owner: str


class Page(Schema):
    count: int
    limit: int
    offset: int
    next: str | None
    previous: str | None


class EventPage(Page):
    results: list[EventOut]


class IndicatorPage(Page):
    results: list[IndicatorHit]
