"""The objects of a TAXII collection, as keyset pages.

A collection's objects come from four sources, each read through the gate (and the
collection's audience): 0 the TLP 2.0 marking definitions and the identities of the
collection's producers, 1 indicators (a CVE is a vulnerability), 2 events (reports),
3 kept STIX objects. Every object has a date_added (the time its row was last written) and
the pages walk all sources merged in (date_added, source, row id) order. A page costs a
couple of LIMITed queries per source plus two for the reports' references, whatever the
collection's size; `next` is the position of the page's last object, so paging never
skips or repeats an object, and never loads a collection whole.

Only the latest version of each object is kept, so match[version] first, last and all
all give that one version, and a timestamp gives it when it is that version.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from django.db.models import Count, Max, Q, QuerySet, Subquery

from certfed.exchange.stix.queries import (
    access_stix_objects,
    access_stix_objects_of_visible_events,
)
from certfed.exchange.stix.serialize import (
    EVENT_FIELDS,
    INDICATOR_FIELDS,
    Creators,
    effective_tlp,
    indicator_stix,
    indicator_stix_id,
    report_stix,
)
from certfed.kernel import stix21
from certfed.sharing.access import (
    Viewer,
    access_events,
    access_indicators_of_visible_events,
)
from certfed.sharing.collections import Collection, collection_events, collection_indicators

MAX_PAGE = 5000
DEFAULT_PAGE = 1000
# Most indicator references (report object_refs) one page may carry.
REFERENCE_BUDGET = 100_000
_MS = dt.timedelta(milliseconds=1)
_TLP2_CREATED = stix21.parse_timestamp(stix21.TLP2_CREATED)
STATIC, INDICATORS, REPORTS, KEPT = 0, 1, 2, 3


class BadRequest(ValueError):
    """A filter or cursor the client got wrong: a TAXII 400."""


@dataclass
class Filters:
    added_after: dt.datetime | None = None
    ids: frozenset[str] | None = None
    types: frozenset[str] | None = None
    versions: tuple[dt.datetime, ...] | None = None  # None: last, first or all
    spec_versions: frozenset[str] | None = None

    def wants(self, type_name: str) -> bool:
        return self.types is None or type_name in self.types


def _list(query, name: str) -> list[str] | None:
    values = [v.strip() for raw in query.getlist(name) for v in raw.split(",") if v.strip()]
    return values or None


def _stamp(value: str, name: str) -> dt.datetime:
    try:
        return stix21.parse_timestamp(value)
    except ValueError:
        raise BadRequest(f"{name}: {value!r} is not a timestamp") from None


def parse_filters(query) -> Filters:
    f = Filters()
    if query.get("added_after"):
        f.added_after = _stamp(query["added_after"], "added_after")
    ids = _list(query, "match[id]")
    f.ids = frozenset(ids) if ids else None
    types = _list(query, "match[type]")
    f.types = frozenset(t.lower() for t in types) if types else None
    versions = _list(query, "match[version]")
    if versions and not {"last", "first", "all"} & set(versions):
        f.versions = tuple(_stamp(v, "match[version]") for v in versions)
    specs = _list(query, "match[spec_version]")
    f.spec_versions = frozenset(specs) if specs else None
    return f


def parse_limit(value: str | None) -> int:
    if value in (None, ""):
        return DEFAULT_PAGE
    try:
        limit = int(value)
    except ValueError:
        raise BadRequest(f"limit: {value!r} is not a number") from None
    if limit < 1:
        raise BadRequest("limit must be at least 1")
    return min(limit, MAX_PAGE)


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: (date_added, source, row key)."""

    date_added: dt.datetime
    source: int
    key: int | str

    @property
    def order(self):
        return (self.date_added, self.source, self.key)

    def encode(self) -> str:
        text = f"{stix21.timestamp_us(self.date_added)}|{self.source}|{self.key}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str | None) -> Cursor | None:
        if not value:
            return None
        try:
            text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            stamp, source, key = text.split("|", 2)
            source_n = int(source)
            return cls(stix21.parse_timestamp(stamp), source_n,
                       key if source_n == STATIC else int(key))  # fmt: skip
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise BadRequest(f"next: {value[:80]!r} is not a cursor this server gave") from None


@dataclass
class Entry:
    date_added: dt.datetime
    source: int
    key: int | str
    id: str
    version: str
    owner_id: int | None = None
    tlp: str | None = None
    row: dict | None = None
    build: Callable[[], bytes] | None = None

    @property
    def order(self):
        return (self.date_added, self.source, self.key)


@dataclass
class Page:
    entries: list[Entry]
    more: bool

    @property
    def next(self) -> str | None:
        if not self.more or not self.entries:
            return None
        e = self.entries[-1]
        return Cursor(e.date_added, e.source, e.key).encode()


class Listing:
    """The objects of one collection as one viewer sees them, filtered."""

    def __init__(self, viewer: Viewer, collection: Collection, filters: Filters) -> None:
        self.viewer, self.c, self.f = viewer, collection, filters
        self.creators = Creators(viewer)

    def page(self, limit: int, cursor: Cursor | None) -> Page:
        n = limit + 1
        rows = (self._static(n, cursor) + self._indicators(n, cursor)
                + self._reports(n, cursor) + self._kept(n, cursor))  # fmt: skip
        rows.sort(key=lambda e: e.order)
        taken = self._within_budget(rows[:limit])
        return Page(taken, more=len(rows) > len(taken))

    def _within_budget(self, entries: list[Entry]) -> list[Entry]:
        """A report lists every indicator of its event: a page ends before the report that
        would take its references past REFERENCE_BUDGET (a page always holds one object),
        so the server's memory per page does not grow with the size of the events."""
        ids = [e.key for e in entries if e.source == REPORTS]
        if not ids:
            return entries
        counts = dict(
            access_indicators_of_visible_events(self.viewer).filter(event_id__in=ids)
            .order_by().values_list("event_id").annotate(n=Count("id"))
        )  # fmt: skip
        total = 0
        for i, e in enumerate(entries):
            if e.source == REPORTS:
                total += counts.get(e.key, 0)
                if total > REFERENCE_BUDGET and i > 0:
                    return entries[:i]
        return entries

    def objects(self, page: Page) -> list[bytes]:
        """The page's objects as JSON, built only now that the page is known."""
        self.creators.load([_creator_fields(e.row) for e in page.entries if e.row is not None
                            and e.source in (INDICATORS, REPORTS)])  # fmt: skip
        self._prepare_reports([e for e in page.entries if e.source == REPORTS])
        return [e.build() for e in page.entries]

    # -- the keyset --------------------------------------------------------------------------

    def _keyset(self, qs: QuerySet, source: int, cursor: Cursor | None, n: int,
                fields: tuple) -> list[dict]:  # fmt: skip
        if self.f.added_after is not None:
            qs = qs.filter(modified__gt=self.f.added_after)
        if cursor is None or cursor.source < source:
            start = {} if cursor is None else {"modified__gte": cursor.date_added}
            return list(qs.filter(**start).order_by("modified", "id").values(*fields)[:n])
        # Two queries, each of which an index on (modified) or on (id) serves: the rest of
        # the cursor's own timestamp (a bulk import stamps thousands of rows alike), then on.
        rows = []
        if cursor.source == source:
            rows = list(qs.filter(modified=cursor.date_added, id__gt=cursor.key)
                        .order_by("id").values(*fields)[:n])  # fmt: skip
        if len(rows) < n:
            rows += list(qs.filter(modified__gt=cursor.date_added)
                         .order_by("modified", "id").values(*fields)[: n - len(rows)])  # fmt: skip
        return rows

    def _version_q(self, field: str = "modified") -> Q:
        q = Q()
        for t in self.f.versions or ():
            # our own objects' versions are their rows' times at millisecond precision
            q |= Q(**{f"{field}__gte": t, f"{field}__lt": t + _MS})
        return q

    def _uuids(self, type_name: str) -> list | None:
        if self.f.ids is None:
            return None
        out = []
        for value in self.f.ids:
            try:
                kind, u = stix21.split_id(value)
            except ValueError:
                continue
            if kind == type_name:
                out.append(u)
        return out

    def _specs_ok(self) -> bool:
        return self.f.spec_versions is None or stix21.SPEC_VERSION in self.f.spec_versions

    # -- sources -----------------------------------------------------------------------------

    def _static(self, n: int, cursor: Cursor | None) -> list[Entry]:
        if not self._specs_ok():
            return []
        out: list[Entry] = []
        if self.f.wants("marking-definition"):
            for level in stix21.TLP2_MARKING_IDS:
                obj = stix21.tlp_marking(level)
                out.append(Entry(_TLP2_CREATED, STATIC, obj["id"], obj["id"], obj["created"],
                                 build=lambda o=obj: orjson.dumps(o)))  # fmt: skip
        if self.f.wants("identity"):
            out += self._identities(cursor)
        if self.f.ids is not None:
            out = [e for e in out if e.id in self.f.ids]
        if self.f.versions is not None:
            out = [e for e in out if stix21.parse_timestamp(e.version) in self.f.versions]
        if self.f.added_after is not None:
            out = [e for e in out if e.date_added > self.f.added_after]
        if cursor is not None:
            out = [e for e in out if e.order > cursor.order]
        return sorted(out, key=lambda e: e.order)[:n]

    def _identities(self, cursor: Cursor | None) -> list[Entry]:
        """Who published the collection's events; added when their latest event was."""
        events = collection_events(self.viewer, self.c)
        # Only producers whose latest event is past the page start can be on this page, and
        # their latest event is among the events past it: the scan shrinks as pages go on.
        since = [t for t in (self.f.added_after, cursor and cursor.date_added) if t]
        if since:
            events = events.filter(modified__gte=max(since))
        groups = (
            events.order_by()
            .values("originator_name", "originator__uuid", "originator__name",
                    "originator__created")
            .annotate(last=Max("modified"))
        )  # fmt: skip
        events = list(groups)
        self.creators.load(events)
        latest: dict[str, tuple] = {}
        for e in events:
            identity = self.creators.identity(e)
            if identity is None:
                continue  # a kept identity: it is one of the kept objects
            held = latest.get(identity["id"])
            if held is None or e["last"] > held[0]:
                latest[identity["id"]] = (e["last"], identity)
        return [
            Entry(last, STATIC, sid, sid, identity["modified"],
                  build=lambda o=identity: orjson.dumps(o))
            for sid, (last, identity) in latest.items()
        ]  # fmt: skip

    def _indicators(self, n: int, cursor: Cursor | None) -> list[Entry]:
        f = self.f
        wants_ind, wants_vul = f.wants("indicator"), f.wants("vulnerability")
        if not (wants_ind or wants_vul) or not self._specs_ok():
            return []
        qs = collection_indicators(self.viewer, self.c)
        if not wants_ind:
            qs = qs.filter(type="cve")
        if not wants_vul:
            qs = qs.exclude(type="cve")
        if f.ids is not None:
            qs = qs.filter((Q(uuid__in=self._uuids("indicator")) & ~Q(type="cve"))
                           | Q(uuid__in=self._uuids("vulnerability"), type="cve"))  # fmt: skip
        if f.versions is not None:
            qs = qs.filter(self._version_q())
        # A CVE kept as the vulnerability object it came as is given once, as that object.
        kept_vulns = access_stix_objects(self.viewer).filter(type="vulnerability")
        qs = qs.exclude(type="cve", uuid__in=Subquery(kept_vulns.order_by().values("stix_uuid")))
        fields = INDICATOR_FIELDS + ("event__tlp", "event__owner_id", "event__originator_name",
                                     "event__originator__uuid")  # fmt: skip
        rows = self._keyset(qs, INDICATORS, cursor, n, fields)
        out = []
        for row in rows:
            creator = _creator_fields(row)
            out.append(Entry(
                row["modified"], INDICATORS, row["id"], indicator_stix_id(row["type"], row["uuid"]),
                stix21.timestamp(max(row["created"], row["modified"])), row["event__owner_id"],
                effective_tlp(row["tlp"], row["event__tlp"]), row,
                build=lambda r=row, c=creator: orjson.dumps(
                    indicator_stix(r, r["event__tlp"], self.creators.ref(c))),
            ))  # fmt: skip
        return out

    def _reports(self, n: int, cursor: Cursor | None) -> list[Entry]:
        f = self.f
        if not f.wants("report") or not self._specs_ok():
            return []
        qs = collection_events(self.viewer, self.c)
        if f.ids is not None:
            qs = qs.filter(uuid__in=self._uuids("report"))
        if f.versions is not None:
            qs = qs.filter(self._version_q())
        rows = self._keyset(qs, REPORTS, cursor, n, EVENT_FIELDS)
        return [
            Entry(row["modified"], REPORTS, row["id"], stix21.stix_id("report", row["uuid"]),
                  stix21.timestamp(max(row["created"], row["modified"])), row["owner_id"],
                  row["tlp"], row)
            for row in rows
        ]  # fmt: skip

    def _prepare_reports(self, entries: list[Entry]) -> None:
        """References and tags of a page's reports: two queries for the whole page."""
        if not entries:
            return
        ids = [e.key for e in entries]
        refs: dict[int, list[str]] = {i: [] for i in ids}
        kept = access_stix_objects_of_visible_events(self.viewer, ids).values_list(
            "event_id", "stix_id"
        )
        kept_ids = set()
        for event_id, sid in kept.order_by("id"):
            refs[event_id].append(sid)
            kept_ids.add(sid)
        inds = access_indicators_of_visible_events(self.viewer).filter(event_id__in=ids)
        for event_id, type_name, u in inds.order_by("id").values_list("event_id", "type", "uuid"):
            sid = indicator_stix_id(type_name, u)
            if sid not in kept_ids:
                refs[event_id].append(sid)
        tags: dict[int, list[str]] = {i: [] for i in ids}
        tagged = access_events(self.viewer).filter(pk__in=ids, tags__isnull=False)
        for event_id, name in tagged.values_list("id", "tags__name"):
            tags[event_id].append(name)
        for e in entries:
            row = e.row
            e.build = lambda r=row: orjson.dumps(
                report_stix(r, refs[r["id"]], self.creators.ref(r), tags[r["id"]])
            )

    def _kept(self, n: int, cursor: Cursor | None) -> list[Entry]:
        f = self.f
        qs = access_stix_objects(self.viewer).filter(self.c.event_q())
        if f.ids is not None:
            qs = qs.filter(stix_id__in=sorted(f.ids))
        if f.types is not None:
            qs = qs.filter(type__in=sorted(f.types))
        if f.spec_versions is not None:
            qs = qs.filter(spec_version__in=sorted(f.spec_versions))
        if f.versions is not None:
            qs = qs.filter(stix_modified__in=list(f.versions))
        fields = ("id", "stix_id", "modified", "stix_modified", "raw", "tlp", "owner_id")
        out = []
        for row in self._keyset(qs, KEPT, cursor, n, fields):
            stamp = row["stix_modified"] or row["modified"]
            out.append(Entry(row["modified"], KEPT, row["id"], row["stix_id"],
                             _own_version(row["raw"]) or stix21.timestamp_us(stamp),
                             row["owner_id"], row["tlp"], row,
                             build=lambda r=row: r["raw"].encode()))  # fmt: skip
        return out


def _creator_fields(row: dict) -> dict:
    """An indicator row's event's originator, in the shape Creators reads (events as is)."""
    if "event__originator_name" not in row:
        return row
    return {"originator_name": row["event__originator_name"],
            "originator__uuid": row["event__originator__uuid"]}  # fmt: skip


def _own_version(raw: str) -> str | None:
    """The version a kept object states (its modified, else created), as it wrote it."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    value = doc.get("modified") or doc.get("created")
    return value if isinstance(value, str) else None
