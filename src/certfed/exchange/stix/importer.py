"""STIX 2.1 bundle import, in one transaction, idempotent.

Reports become events (their referenced indicators, observables and CVEs become the
event's indicators); indicators and observables no report references go into one event per
bundle, named after it; everything else is kept as it came (exchange.models.StixObject)
inside the event that holds it, so exports give it back unchanged. Sightings of indicators
are also recorded as sightings. The bulk writing is intel.ingest.do_ingest's.

Ids: an event's uuid is its report's, an indicator's its STIX indicator's — unless another
organisation already uses that uuid (the same content pulled into a second organisation of
this platform), when a stable uuid is minted for this organisation instead.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from certfed.audit.log import Context, record
from certfed.exchange.stix.keep import record_stix_sightings, write_kept
from certfed.exchange.stix.parse import Item, Obj, Parsed, as_ref, parse_bundle
from certfed.exchange.stix.queries import access_stix_objects, own_stix_objects
from certfed.intel.ingest import (
    Defaults,
    IncomingEvent,
    IncomingIndicator,
    IngestError,
    IngestResult,
    Problem,
    do_ingest,
    indicators_by_uuid,
)
from certfed.kernel import stix21
from certfed.kernel.labels import Labels, tlp_rank
from certfed.platform.bulk import gc_paused
from certfed.platform.errors import Forbidden
from certfed.sharing.access import Viewer, access_events, access_indicators

_MINE_NS = uuidlib.UUID("a3f1b0de-5c3e-4d4f-9b8e-7e2f0c6d1a55")
_DERIVED_NS = uuidlib.UUID("c9e4a7b2-1f6d-4e3a-8c5b-2d7f9e0a4b13")
_BUNDLE = "bundle"
_IND_FIELDS = (
    "uuid", "type", "value", "comment", "to_detect", "first_seen", "last_seen", "valid_until",
    "tlp", "pap", "distribution", "sharing_group__uuid", "source_modified", "event__uuid",
)  # fmt: skip


@dataclass
class StixImportResult(IngestResult):
    """do_ingest's counts, plus the kept objects, sightings and per-object failures (by
    index in the bundle's objects) that a TAXII status resource reports."""

    objects_total: int = 0
    kept_created: int = 0
    kept_updated: int = 0
    kept_unchanged: int = 0
    sightings_recorded: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    ids: list[tuple[str | None, str | None]] = field(default_factory=list)  # (id, version)


def import_stix_bundle(
    ctx: Context,
    viewer: Viewer,
    data: bytes | str | dict,
    defaults: Defaults,
    *,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    title: str | None = None,
    bundle_uuid: uuidlib.UUID | None = None,
) -> StixImportResult:
    """Import a STIX 2.1 bundle (or a TAXII envelope: {"objects": […]}). Raises IngestError
    (nothing written) listing every bad object unless skip_invalid. `title` and
    `bundle_uuid` name the event of unreferenced objects when the source has no bundle id."""
    if not viewer.can_write:
        raise Forbidden("your role may not import")
    with gc_paused():
        # The parsed bundle is freed when _parse_and_import returns, before the collector
        # runs again (else its first pass would walk every object of the bundle).
        return _parse_and_import(ctx, viewer, data, defaults, skip_invalid, progress, title,
                                 bundle_uuid)  # fmt: skip


def _parse_and_import(ctx, viewer, data, defaults, skip_invalid, progress, title, bundle_uuid):
    parsed = parse_bundle(data, bundle_uuid)
    if parsed.problems and not skip_invalid:
        raise IngestError(parsed.problems)
    with transaction.atomic():
        return _Import(ctx, viewer, parsed, defaults, skip_invalid, progress, title).run()


@dataclass
class _Group:
    """The objects that go into one event."""

    key: str
    uuid: uuidlib.UUID
    position: str
    report: Obj | None = None
    items: list[Item] = field(default_factory=list)
    kept: list[Obj] = field(default_factory=list)
    existing: dict | None = None  # a merge into an event this organisation already has
    unchanged: bool = False  # we hold this version already: nothing to build or write

    @property
    def source_modified(self):
        """The event's version: its newest part (a report is as new as what it holds)."""
        own = self.report.modified if self.report else None
        return _newest(own, *(i.obj.modified for i in self.items), *(o.modified for o in self.kept))


def _same_version(new, held) -> bool:
    """do_ingest's idempotency rule: a version not newer than the one held changes nothing."""
    return (new is None and held is None) or (new is not None and held is not None
                                              and new <= held)  # fmt: skip


def _newest(*stamps):
    found = [s for s in stamps if s is not None]
    return max(found) if found else None


class _Import:
    def __init__(self, ctx, viewer, parsed: Parsed, defaults: Defaults, skip_invalid: bool,
                 progress, title) -> None:  # fmt: skip
        self.ctx, self.viewer, self.p, self.defaults = ctx, viewer, parsed, defaults
        self.skip_invalid, self.progress, self.title = skip_invalid, progress, title
        self.result = StixImportResult(objects_total=parsed.total, ids=parsed.ids)
        self.problems: list[Problem] = list(parsed.problems)
        self.claimed: dict[int, uuidlib.UUID] = {}

    def mine(self, u: uuidlib.UUID) -> uuidlib.UUID:
        return stix21.stable_uuid(_MINE_NS, f"{self.viewer.org_id}|{u}")

    # -- planning ---------------------------------------------------------------------------

    def run(self) -> StixImportResult:
        p = self.p
        self.targets = self._targets()
        self._load_events()
        self._load_indicators()
        self._load_kept()
        groups = self._groups()
        self._load_rows(groups)
        incoming = [ev for g in groups if not g.unchanged and (ev := self._incoming(g))]
        ingest = do_ingest(self.ctx, self.viewer, incoming, skip_invalid=self.skip_invalid,
                           progress=self.progress, source="stix.import")  # fmt: skip
        for name in ("events_created", "events_updated", "events_unchanged",
                     "indicators_written", "event_ids", "event_uuids"):  # fmt: skip
            setattr(self.result, name, getattr(ingest, name))
        self.result.events_unchanged += sum(g.unchanged for g in groups)
        self.problems += ingest.skipped
        events = self._events_after([g.uuid for g in groups])
        self._fail_missing(groups, events)
        written = self._write_kept(groups, events)
        self._record_sightings(written)
        self.result.skipped = self.problems
        for prob in self.problems:
            index = _index(prob.position)
            if index is not None:
                self.result.failed.setdefault(index, prob.reason)
        if self.problems and not self.skip_invalid:
            raise IngestError(self.problems)
        if p.kept:
            record(self.ctx, "stix.import_kept", object_type="import",
                   detail={"created": self.result.kept_created, "updated":
                           self.result.kept_updated, "unchanged": self.result.kept_unchanged,
                           "sightings": self.result.sightings_recorded})  # fmt: skip
        return self.result

    def _targets(self) -> dict[str, list[str]]:
        """Which report(s) each object belongs to (by id), and each report's members."""
        p = self.p
        targets: dict[str, list[str]] = {}
        for r in p.reports:
            refs = r.data["object_refs"]
            for ref in dict.fromkeys(map(p.resolve, refs) if p.alias else refs):
                if ref != r.id and (ref in p.items or ref in p.kept):
                    targets.setdefault(ref, []).append(r.id)
        self._follow_references(targets)
        self.members: dict[str, list[str]] = {r.id: [] for r in p.reports}
        for ref, keys in targets.items():
            for key in keys:
                self.members[key].append(ref)
        return targets

    def _load_events(self) -> None:
        """Event uuids (ours, or minted when another organisation has that one), and which
        reports we already hold in this version (do_ingest's rule, applied early so that a
        re-import neither looks up nor rebuilds their contents)."""
        p, v = self.p, self.viewer
        keys = {r.id: r.uuid for r in p.reports} | {_BUNDLE: p.bundle_uuid}
        seen = dict(access_events(v).filter(uuid__in=list(keys.values()))
                    .values_list("uuid", "owner_id"))  # fmt: skip
        self.event_uuid = {
            k: (self.mine(u) if seen.get(u, v.org_id) != v.org_id else u) for k, u in keys.items()
        }
        held = dict(access_events(v).filter(uuid__in=list(self.event_uuid.values()),
                                            owner_id=v.org_id)
                    .values_list("uuid", "source_modified"))  # fmt: skip
        self.unchanged: set[str] = set()
        by_id = {**{k: i.obj for k, i in p.items.items()}, **p.kept}
        for r in p.reports:
            u = self.event_uuid[r.id]
            if u in held:
                new = _newest(r.modified, *(by_id[m].modified for m in self.members[r.id]))
                if _same_version(new, held[u]):
                    self.unchanged.add(r.id)

    def _load_indicators(self) -> None:
        """Indicator uuids this import may collide with or update (set-based)."""
        p, v = self.p, self.viewer
        # Indicators only in reports we already hold in this version need no look-up.
        # (Lists, not sets: the ids of a bundle's objects are distinct already.)
        if self.unchanged:
            wanted = [
                item.obj.uuid
                for item_id, item in p.items.items()
                if item.own_uuid
                and (
                    item_id not in self.targets or not set(self.targets[item_id]) <= self.unchanged
                )
            ]
        else:
            wanted = [item.obj.uuid for item in p.items.values() if item.own_uuid]
        for s in p.kept.values():
            if s.type == "sighting":
                try:
                    wanted.append(stix21.split_id(s.data.get("sighting_of_ref"))[1])
                except ValueError:
                    pass
        # A source uuid → the uuid this organisation's copy has, where they differ (another
        # organisation holds the source's); `self.base.get(u, u)`.
        self.base: dict[uuidlib.UUID, uuidlib.UUID] = {}
        self.existing_ind: dict[uuidlib.UUID, uuidlib.UUID] = {}  # uuid → its event, mine only
        # Most imports bring new uuids: find the few that exist with one cheap indexed
        # look-up, and ask the gate only about those.
        present = [u for u, _event in indicators_by_uuid(list(wanted))]
        found = ()
        if present:
            found = (
                access_indicators(v)
                .filter(uuid__in=present)
                .values_list("uuid", "event__owner_id", "event__uuid")
            )
        foreign = set()
        for u, owner, event_uuid in found:
            if owner == v.org_id:
                self.existing_ind[u] = event_uuid
            else:
                foreign.add(u)
                self.base[u] = self.mine(u)
        if foreign:  # our own copies of other organisations' indicators
            for u, event_uuid in (
                access_indicators(v)
                .filter(uuid__in=[self.mine(u) for u in foreign], event__owner_id=v.org_id)
                .values_list("uuid", "event__uuid")
            ):
                self.existing_ind[u] = event_uuid

    def _load_kept(self) -> None:
        p, v = self.p, self.viewer
        # Creators and sighters named by id only: an identity kept from an earlier import.
        named = {as_ref(o.data.get("created_by_ref")) for o in p.objects}
        for o in p.kept.values():
            where = o.data.get("where_sighted_refs")
            named |= {as_ref(w) for w in where} if isinstance(where, list) else set()
        named -= set(p.identities) | {None}
        if named:
            found_names = (access_stix_objects(v).filter(type="identity", stix_id__in=sorted(named))
                           .order_by("id").values_list("stix_id", "name"))  # fmt: skip
            for sid, name in found_names:
                p.identities.setdefault(sid, name)
        self.existing_kept = {
            row["stix_id"]: row
            for row in own_stix_objects(v)
            .filter(stix_id__in=list(p.kept))
            .values("id", "stix_id", "stix_modified", "raw", "event_id")
        }

    def _groups(self) -> list[_Group]:
        p, targets = self.p, self.targets
        groups: dict[str, _Group] = {}
        for r in p.reports:
            groups[r.id] = _Group(r.id, self.event_uuid[r.id], r.position, report=r,
                                  unchanged=r.id in self.unchanged)  # fmt: skip
        bundle = _Group(_BUNDLE, self.event_uuid[_BUNDLE], "bundle")
        busy = {g.uuid for g in groups.values()} | {bundle.uuid}
        merges: dict[uuidlib.UUID, _Group] = {}
        for item_id, item in p.items.items():
            if item_id in targets:
                for key in targets[item_id]:
                    groups[key].items.append(item)
                continue
            home = None
            if item.own_uuid and self.existing_ind:
                u = item.obj.uuid
                home = self.existing_ind.get(self.base.get(u, u))
            if home is not None and home not in busy:
                group = merges.setdefault(home, _Group(f"event:{home}", home, item.obj.position))
                group.items.append(item)
            else:
                bundle.items.append(item)
        self.in_place: dict[str, int] = {}
        for kept_id, obj in p.kept.items():
            old = self.existing_kept.get(kept_id)
            if kept_id in targets:
                groups[targets[kept_id][0]].kept.append(obj)
            elif old is not None and old["event_id"] is not None:
                self.in_place[kept_id] = old["event_id"]  # stays in the event it is in
            else:
                bundle.kept.append(obj)
        out = list(groups.values()) + list(merges.values())
        if bundle.items or bundle.kept:
            out.append(bundle)
        return out

    def _follow_references(self, targets: dict[str, list[str]]) -> None:
        """Kept objects no report lists go with the report they belong to: the identity that
        created it or its contents, a relationship or sighting about something in it."""
        p = self.p
        homes: dict[str, str] = {}
        for r in p.reports:
            homes.setdefault(r.id, r.id)
            homes.setdefault(as_ref(r.data.get("created_by_ref")), r.id)
        for member_id, keys in targets.items():
            homes.setdefault(member_id, keys[0])
            member = p.items[member_id].obj if member_id in p.items else p.kept[member_id]
            homes.setdefault(as_ref(member.data.get("created_by_ref")), keys[0])
        homes.pop(None, None)
        for kept_id, obj in p.kept.items():
            if kept_id in targets:
                continue
            for name in ("sighting_of_ref", "source_ref", "target_ref"):
                home = homes.get(p.resolve(as_ref(obj.data.get(name)) or ""))
                if home:
                    break
            else:
                home = homes.get(kept_id)
            if home:
                targets[kept_id] = [home]

    def _load_rows(self, groups: list[_Group]) -> None:
        """The events this import rewrites, and their indicators: those a report refers to
        but the bundle does not carry (or a merge leaves alone) stay."""
        v = self.viewer
        uuids = [g.uuid for g in groups if not g.unchanged]
        rows = (access_events(v).filter(uuid__in=uuids, owner_id=v.org_id)
                .values("uuid", "title", "description", "date", "threat_level", "tlp", "pap",
                        "distribution", "sharing_group__uuid", "published", "source_modified",
                        "originator_name"))  # fmt: skip
        existing = {r["uuid"]: r for r in rows}
        for g in groups:
            if g.key == _BUNDLE and g.uuid in existing:
                g.unchanged = _same_version(g.source_modified, existing[g.uuid]["source_modified"])
            elif g.key.startswith("event:"):
                g.existing = existing.get(g.uuid)
        changing = [g.uuid for g in groups if g.uuid in existing and not g.unchanged]
        self.existing_rows: dict[uuidlib.UUID, list[dict]] = {}
        if changing:
            for row in (access_indicators(v).filter(event__uuid__in=changing)
                        .order_by("id").values(*_IND_FIELDS)):  # fmt: skip
                self.existing_rows.setdefault(row["event__uuid"], []).append(row)

    # -- events -----------------------------------------------------------------------------

    def _uuid_for(self, item: Item, group: _Group, n: int, kind: str, value: str):
        if item.own_uuid and n == 0:
            base = item.obj.uuid
            if self.base:
                base = self.base.get(base, base)
            home = self.existing_ind.get(base, group.uuid) if self.existing_ind else group.uuid
            if home == group.uuid:
                # Claimed by the first group that holds it (keyed by the uuid's integer:
                # hashing a UUID object is a Python call, at 100,000 indicators a cost).
                claimant = self.claimed.setdefault(base.int, home)
                if claimant is home or claimant == home:
                    return base
        # A second value of one pattern, an observable, or an indicator in two reports.
        return stix21.stable_uuid(_DERIVED_NS, f"{group.uuid}|{item.obj.id}|{kind}|{value}")

    def _indicators(self, group: _Group, event_tlp: str) -> list[IncomingIndicator]:
        out = []
        event_rank = tlp_rank(event_tlp)
        for item in group.items:
            obj = item.obj
            tlp = obj.tlp
            own_tlp = tlp if tlp and tlp_rank(tlp) > event_rank else None
            position = obj.position
            for n, (kind, value) in enumerate(item.pairs):
                out.append(IncomingIndicator(
                    value=value, type=kind, comment=item.comment, to_detect=item.to_detect,
                    first_seen=item.first_seen, last_seen=item.last_seen,
                    valid_until=item.valid_until, uuid=self._uuid_for(item, group, n, kind, value),
                    tlp=own_tlp, source_modified=obj.modified, position=position,
                ))  # fmt: skip
        return out

    def _carried(self, group: _Group, fresh: list[IncomingIndicator]) -> list[IncomingIndicator]:
        if group.key == _BUNDLE:
            return []  # a bundle is its event: a newer bundle replaces it whole
        rows = self.existing_rows.get(group.uuid)
        if not rows:
            return []
        taken = {i.uuid for i in fresh}
        if group.report is not None:
            given = {i.obj.id for i in group.items}
            refs = set()
            for ref in group.report.data["object_refs"]:
                if ref in given:
                    continue  # the bundle carries it
                try:
                    kind, u = stix21.split_id(ref)
                except ValueError:
                    continue
                if kind in ("indicator", "vulnerability"):
                    refs |= {u, self.mine(u)}
            rows = [r for r in rows if r["uuid"] in refs]
        return [
            IncomingIndicator(
                value=r["value"], type=r["type"], comment=r["comment"], to_detect=r["to_detect"],
                first_seen=r["first_seen"], last_seen=r["last_seen"],
                valid_until=r["valid_until"], uuid=r["uuid"], tlp=r["tlp"], pap=r["pap"],
                distribution=r["distribution"],
                sharing_group=str(r["sharing_group__uuid"]) if r["sharing_group__uuid"] else None,
                source_modified=r["source_modified"], position=group.position,
            )
            for r in rows
            if r["uuid"] not in taken
        ]  # fmt: skip

    def _tags(self, group: _Group) -> list[str]:
        tags = []
        labels = group.report.data.get("labels") if group.report else None
        for label in labels if isinstance(labels, list) else ():
            if isinstance(label, str) and label.strip() and len(label.strip()) <= 255:
                if not label.lower().startswith(("tlp:", "pap:")):
                    tags.append(label.strip())
        for obj in group.kept:
            if obj.type == "attack-pattern":
                tags += stix21.attack_ids(obj.data)
        return list(dict.fromkeys(tags))

    def _originator(self, objs: list[Obj]) -> str:
        names = {self.p.identities.get(as_ref(o.data.get("created_by_ref"))) for o in objs}
        names.discard(None)
        return names.pop() if len(names) == 1 else ""

    def _incoming(self, g: _Group) -> IncomingEvent | None:
        d = self.defaults
        members = [i.obj for i in g.items] + g.kept
        modified = _newest(*(o.modified for o in members))
        if g.existing is not None:
            return self._merge(g, modified)
        if g.report is not None:
            r = g.report.data
            tlp = g.report.tlp or d.tlp
            when = _newest(g.report.created, g.report.modified)
            try:
                when = stix21.parse_timestamp(r.get("published")) if "published" in r else when
            except ValueError:
                pass
            title = r.get("name") if isinstance(r.get("name"), str) else ""
            fields = dict(
                title=title.strip() or f"Report {g.report.id}",
                description=r.get("description") if isinstance(r.get("description"), str) else "",
                date=when.date() if when else None,
                originator=self._originator([g.report]),
                source_modified=_newest(g.report.modified, modified),
            )
        else:
            levels = [o.tlp or d.tlp for o in members]
            tlp = min(levels, key=tlp_rank)  # the loosest member: each item narrows its own
            fields = dict(
                title=self.title or f"STIX bundle bundle--{g.uuid}",
                description=f"Objects of STIX bundle bundle--{self.p.bundle_uuid} that no "
                "report in it refers to.",
                originator=self._originator(members),
                source_modified=modified,
            )
        fresh = self._indicators(g, tlp)
        return IncomingEvent(
            uuid=g.uuid, tags=self._tags(g), tlp=tlp, pap=d.pap, distribution=d.distribution,
            sharing_group=d.sharing_group, published=d.published, position=g.position,
            indicators=fresh + self._carried(g, fresh), **fields,
        )  # fmt: skip

    def _merge(self, g: _Group, modified) -> IncomingEvent | None:
        """Newer versions of indicators already in one of our events, sent without their
        report: the event is rewritten with them in place of the old ones."""
        e = g.existing
        older = {r["uuid"]: r["source_modified"] for r in self.existing_rows.get(g.uuid, [])}
        fresh = self._indicators(g, e["tlp"])
        if all(
            older.get(i.uuid) is not None
            and i.source_modified is not None
            and i.source_modified <= older[i.uuid]
            for i in fresh
        ):
            return None  # nothing newer: the event is left alone
        return IncomingEvent(
            title=e["title"], uuid=g.uuid, description=e["description"], date=e["date"],
            threat_level=e["threat_level"], tags=self._existing_tags(g.uuid), tlp=e["tlp"],
            pap=e["pap"], distribution=e["distribution"],
            sharing_group=str(e["sharing_group__uuid"]) if e["sharing_group__uuid"] else None,
            published=e["published"], originator=e["originator_name"], position=g.position,
            source_modified=_newest(e["source_modified"], modified) or timezone.now(),
            indicators=fresh + self._carried(g, fresh),
        )  # fmt: skip

    def _existing_tags(self, event_uuid) -> list[str]:
        qs = access_events(self.viewer).filter(uuid=event_uuid, tags__isnull=False)
        return list(qs.values_list("tags__name", flat=True))

    # -- after the events are written ----------------------------------------------------

    def _events_after(self, uuids: list) -> dict:
        v = self.viewer
        extra = sorted(set(self.in_place.values()))
        rows = access_events(v).filter(Q(uuid__in=uuids) | Q(pk__in=extra), owner_id=v.org_id)
        fields = ("id", "uuid", "tlp", "pap", "distribution", "sharing_group_id")
        found = {}
        for row in rows.values(*fields):
            found[row["uuid"]] = found[row["id"]] = row
        return found

    def _fail_missing(self, groups: list[_Group], events: dict) -> None:
        """Objects whose event was refused fail with it, and say why."""
        why = {p.position: p.reason for p in self.problems}
        for g in groups:
            if g.uuid in events or g.existing is not None:
                continue
            reason = why.get(g.position, "was not imported")
            for obj in [i.obj for i in g.items] + g.kept:
                if obj.position != g.position:
                    self.problems.append(Problem(obj.position, f"its event: {reason}"))

    def _write_kept(self, groups: list[_Group], events: dict) -> list[tuple[Obj, Labels]]:
        home: dict[str, dict] = {}
        for g in groups:
            for obj in g.kept:
                if g.uuid in events:
                    home[obj.id] = events[g.uuid]
        for kept_id, event_id in self.in_place.items():
            if event_id in events:
                home[kept_id] = events[event_id]
        out = write_kept(self.viewer, self.p.kept, home, self.existing_kept, self.problems)
        r = self.result
        r.kept_created, r.kept_updated, r.kept_unchanged = out.created, out.updated, out.unchanged
        if self.progress and out.written:
            self.progress(len(out.written))
        return out.written

    def _record_sightings(self, written: list[tuple[Obj, Labels]]) -> None:
        self.result.sightings_recorded = record_stix_sightings(
            self.ctx, self.viewer, written, self.p.identities, self.base, self.problems
        )


def _index(position: str) -> int | None:
    if position.startswith("objects[") and "]" in position:
        try:
            return int(position[8 : position.index("]")])
        except ValueError:
            return None
    return None
