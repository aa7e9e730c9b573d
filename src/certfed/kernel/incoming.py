"""What a source says about events and indicators (a STIX report or bundle, a MISP event, a
CSV file, a TAXII push), before validation: the codecs build these, intel.ingest validates
and writes them. Pure data: no Django."""

from __future__ import annotations

import datetime as dt
import uuid as uuidlib
from dataclasses import dataclass, field


@dataclass(slots=True)
class IncomingIndicator:
    """One indicator as a source gave it; `position` locates it in the source for errors."""

    value: str
    type: str | None = None
    comment: str = ""
    to_detect: bool = True
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    uuid: uuidlib.UUID | None = None
    tlp: str | None = None  # only to narrow the event's labels
    pap: str | None = None
    distribution: str | None = None
    sharing_group: str | None = None  # uuid
    source_modified: dt.datetime | None = None
    position: str = ""


@dataclass
class IncomingEvent:
    """One event as a source gave it (a STIX report or bundle, a MISP event, a CSV file)."""

    title: str
    uuid: uuidlib.UUID | None = None
    description: str = ""
    date: dt.date | None = None
    threat_level: str = "undefined"
    tags: list[str] = field(default_factory=list)
    tlp: str = "AMBER"
    pap: str = "AMBER"
    distribution: str = "organisation"
    sharing_group: str | None = None  # uuid
    published: bool = True
    source_modified: dt.datetime | None = None
    originator: str = ""  # the first publisher's name, as the source gave it
    indicators: list[IncomingIndicator] = field(default_factory=list)
    position: str = ""
