"""Rows (already filtered by the gate) as STIX 2.1 objects, shared by the bundle export and
the TAXII server so both say exactly the same thing about the same row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from certfed.exchange.stix.queries import access_stix_objects
from certfed.kernel import stix21
from certfed.kernel.labels import stricter_tlp
from certfed.sharing.access import Viewer

# The indicator columns a STIX indicator needs, for .values() queries (no model instances:
# at 100,000 rows the ORM's per-object cost dominates).
INDICATOR_FIELDS = (
    "id", "uuid", "event_id", "type", "value", "comment", "to_detect", "first_seen",
    "valid_until", "tlp", "created", "modified",
)  # fmt: skip
EVENT_FIELDS = (
    "id", "uuid", "title", "description", "date", "published_at", "tlp", "created", "modified",
    "owner_id", "originator_name", "originator__uuid", "originator__name", "originator__created",
)  # fmt: skip


def indicator_stix_id(type_name: str, uuid) -> str:
    return stix21.stix_id("vulnerability" if type_name == "cve" else "indicator", uuid)


def effective_tlp(row_tlp: str | None, event_tlp: str) -> str:
    return stricter_tlp(event_tlp, row_tlp) if row_tlp else event_tlp


def indicator_stix(row: dict, event_tlp: str, creator: str) -> dict:
    """`row`: INDICATOR_FIELDS values of an indicator the viewer may see."""
    return stix21.indicator_object(
        uuid=row["uuid"],
        type_name=row["type"],
        value=row["value"],
        created=row["created"],
        modified=row["modified"],
        valid_from=row["first_seen"],
        valid_until=row["valid_until"],
        description=row["comment"] or "",
        tlp=effective_tlp(row["tlp"], event_tlp),
        created_by=creator,
        to_detect=row["to_detect"],
    )


def report_stix(event: dict, refs: list[str], creator: str, tags: list[str]) -> dict:
    """`event`: EVENT_FIELDS values; `refs`: ids of the objects in it the viewer may see."""
    published = event["published_at"] or dt.datetime.combine(
        event["date"], dt.time.min, tzinfo=dt.UTC
    )
    return stix21.report_object(
        uuid=event["uuid"],
        name=event["title"],
        description=event["description"] or "",
        published=published,
        created=event["created"],
        modified=event["modified"],
        # A report must reference something; an event with nothing visible in it still
        # says who published it.
        object_refs=refs or [creator],
        labels=sorted(tags),
        tlp=event["tlp"],
        created_by=creator,
    )


# Identities made from a name alone have no date of their own; a fixed one keeps every
# export of them the same version.
_NAMED = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


class Creators:
    """created_by_ref of events: the kept identity named like the event's originator when
    the viewer may see one (so an imported report round-trips with its own identity), else
    a stable identity for that name, else the originating member organisation's identity."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.kept: dict[str, str] = {}
        self._looked_up: set[str] = set()

    def load(self, events: Iterable[dict]) -> None:
        names = {e["originator_name"] for e in events if e["originator_name"]}
        names -= self._looked_up
        if not names:
            return
        self._looked_up |= names
        rows = (
            access_stix_objects(self.viewer)
            .filter(type="identity", name__in=sorted(names))
            .order_by("id")
            .values_list("name", "stix_id")
        )
        for name, sid in rows:
            self.kept.setdefault(name, sid)

    def ref(self, event: dict) -> str:
        name = event["originator_name"]
        if name:
            return self.kept.get(name) or stix21.originator_identity_id(name)
        return stix21.stix_id("identity", event["originator__uuid"])

    def identity(self, event: dict) -> dict | None:
        """The generated identity object behind ref(event); None when it is a kept one."""
        name = event["originator_name"]
        if name:
            if name in self.kept:
                return None
            return stix21.identity_object(stix21.originator_identity_id(name), name, _NAMED)
        return stix21.identity_object(
            stix21.stix_id("identity", event["originator__uuid"]),
            event["originator__name"],
            event["originator__created"],
        )
