"""Bulk ingest: many events and indicators from a file, a TAXII push or a MISP feed, written
in one transaction with set-based SQL.

Transactional and idempotent: an event whose uuid is known and whose source version
(`source_modified`: STIX modified, MISP timestamp) is not newer is left unchanged, so
importing the same file twice changes nothing. Every bad object is reported with its
position and reason; unless `skip_invalid`, one bad object means nothing is written.
"""

from __future__ import annotations

import os
import uuid as uuidlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from certfed.audit.log import Context, record
from certfed.intel.correlation import values_changed
from certfed.intel.models import Event, Indicator, Tag
from certfed.intel.models.indicator import parked_value
from certfed.intel.validation import (
    THREAT_LEVELS,
    CleanLabels,
    clean_labels,
    clean_tags,
)
from certfed.intel.warninglists import warninglist_for
from certfed.kernel.incoming import IncomingEvent, IncomingIndicator
from certfed.kernel.indicators import InvalidIndicator, normalise_any
from certfed.kernel.labels import (
    LabelError,
    Labels,
    parse_distribution,
    parse_pap,
    parse_tlp,
    validate,
    validate_child,
)
from certfed.kernel.netrange import net_range
from certfed.platform.bulk import gc_paused, in_values
from certfed.platform.errors import ActionError, Forbidden, Invalid
from certfed.sharing.access import Viewer

MAX_VALUE = 2048


@dataclass
class Defaults:
    """Labels for objects whose source says nothing (no TLP marking, no MISP distribution);
    set by the importer (`certfed import --tlp --distribution`, the TAXII collection)."""

    tlp: str = "AMBER"
    pap: str = "AMBER"
    distribution: str = "organisation"
    sharing_group: str | None = None  # uuid
    published: bool = True

    @classmethod
    def checked(cls, tlp: str, pap: str, distribution: str, sharing_group: str | None,
                published: bool) -> Defaults:  # fmt: skip
        """Defaults from what a person typed ("tlp:amber", "Federation"…); LabelError names
        the field when a label is unknown or the combination breaks the label rules."""
        defaults = cls(
            tlp=parse_tlp(tlp), pap=parse_pap(pap), distribution=parse_distribution(distribution),
            sharing_group=sharing_group, published=published,
        )  # fmt: skip
        validate(Labels(defaults.tlp, defaults.pap, defaults.distribution, sharing_group))
        return defaults


@dataclass
class Problem:
    position: str
    reason: str

    def __str__(self) -> str:
        return f"{self.position}: {self.reason}" if self.position else self.reason


@dataclass
class IngestResult:
    events_created: int = 0
    events_updated: int = 0
    events_unchanged: int = 0
    indicators_written: int = 0
    skipped: list[Problem] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)  # created or updated
    event_uuids: list = field(default_factory=list)  # the same events' uuids

    @property
    def changed(self) -> bool:
        return bool(self.events_created or self.events_updated)


class IngestError(Invalid):
    """The source has bad objects and nothing was written; `problems` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


# -- validation -------------------------------------------------------------------------------


@dataclass
class _Clean:
    src: IncomingEvent
    labels: CleanLabels
    tags: list[str]
    indicators: list[tuple[IncomingIndicator, str, str, tuple | None]]  # (src, type, value, own)


def _clean_event(viewer: Viewer, ev: IncomingEvent, groups: dict, problems: list[Problem],
                 skip_invalid: bool) -> _Clean | None:  # fmt: skip
    pos = ev.position
    try:
        data = {"tlp": ev.tlp, "pap": ev.pap, "distribution": ev.distribution}
        if ev.sharing_group:
            data["sharing_group"] = ev.sharing_group
        key = (ev.tlp, ev.pap, ev.distribution, ev.sharing_group)
        labels = groups.get(key)
        if labels is None:
            labels = groups[key] = clean_labels(viewer, data)
        if not (ev.title or "").strip():
            raise Invalid("has no title", "title")
        if ev.threat_level not in THREAT_LEVELS:
            raise Invalid(f"{ev.threat_level!r} is not one of {', '.join(THREAT_LEVELS)}",
                          "threat_level")  # fmt: skip
        tags = clean_tags(list(ev.tags))
    except ActionError as exc:
        problems.append(Problem(pos, str(exc)))
        return None
    seen: set[tuple[str, str]] = set()
    out = []
    bad = False
    for ind in ev.indicators:
        try:
            if not isinstance(ind.value, str) or not ind.value.strip():
                raise Invalid("has no value", "value")
            if len(ind.value) > MAX_VALUE:
                raise Invalid(f"is longer than {MAX_VALUE} characters", "value")
            try:
                type_name, value = normalise_any(ind.value, ind.type)
            except InvalidIndicator as exc:
                raise Invalid(str(exc)) from None
            own = None
            if ind.tlp or ind.pap or ind.distribution:
                own = _child_labels(viewer, labels, ind, groups)
        except ActionError as exc:
            problems.append(Problem(ind.position or pos, str(exc)))
            bad = True
            continue
        if (type_name, value) in seen:
            continue  # the same value twice in one event is one indicator
        seen.add((type_name, value))
        out.append((ind, type_name, value, own))
    if bad and not skip_invalid:
        return None
    return _Clean(ev, labels, tags, out)


def _child_labels(viewer: Viewer, parent: CleanLabels, ind: IncomingIndicator, groups: dict):
    data = {
        "tlp": ind.tlp or parent.tlp,
        "pap": ind.pap or parent.pap,
        "distribution": ind.distribution or parent.distribution,
    }
    if data["distribution"] == "sharing_group":
        data["sharing_group"] = ind.sharing_group or (
            str(parent.sharing_group.uuid) if parent.sharing_group else None
        )
    key = ("child", *data.values())
    child = groups.get(key)
    if child is None:
        child = groups[key] = clean_labels(viewer, data)
    try:
        validate_child(parent.as_labels(), child.as_labels(), "indicator")
    except LabelError as exc:
        raise Invalid(exc.message, exc.field) from None
    return (
        ind.tlp and child.tlp,
        ind.pap and child.pap,
        child.distribution if ind.distribution else None,
        child.sharing_group.pk if ind.distribution and child.sharing_group else None,
    )


# -- writing ----------------------------------------------------------------------------------


def _chunks(items: list, size: int = 5000):
    for i in range(0, len(items), size):
        yield items[i : i + size]


@gc_paused()
@transaction.atomic
def do_ingest(
    ctx: Context,
    viewer: Viewer,
    events: Iterable[IncomingEvent],
    *,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    source: str = "import",
) -> IngestResult:
    """Validate everything, then write it. Raises IngestError (nothing written) on any bad
    object unless skip_invalid, in which case the result lists what was skipped."""
    if not viewer.can_write:
        raise Forbidden("your role may not import")
    events = list(events)
    problems: list[Problem] = []
    label_cache: dict = {}
    cleaned = [
        c for ev in events
        if (c := _clean_event(viewer, ev, label_cache, problems, skip_invalid)) is not None
    ]  # fmt: skip
    if problems and not skip_invalid:
        raise IngestError(problems)

    result = IngestResult(skipped=problems)
    if progress is not None and hasattr(progress, "set_total"):
        progress.set_total(sum(len(c.indicators) or 1 for c in cleaned))
    existing = _existing_events([c.src.uuid for c in cleaned if c.src.uuid])
    to_write: list[tuple[_Clean, Event | None]] = []
    given: set = set()
    for c in cleaned:
        if c.src.uuid is not None:
            if c.src.uuid in given:
                problems.append(Problem(c.src.position, f"uuid {c.src.uuid} is given twice"))
                continue
            given.add(c.src.uuid)
        old = existing.get(c.src.uuid) if c.src.uuid else None
        if old is not None:
            if old.owner_id != viewer.org_id:
                reason = f"uuid {c.src.uuid} is another organisation's event: not overwritten"
                problems.append(Problem(c.src.position, reason))
                continue
            if (
                old.source_modified is not None
                and c.src.source_modified is not None
                and c.src.source_modified <= old.source_modified
            ) or (old.source_modified is None and c.src.source_modified is None):
                result.events_unchanged += 1
                if progress:
                    progress(len(c.indicators) or 1)
                continue
        to_write.append((c, old))
    current = _current_indicators([old.pk for _, old in to_write if old is not None])
    # Indicator uuids are checked by the unique index as the rows go in; only when it
    # refuses one is the import rolled back to find and name the culprits (a look-up of
    # every incoming uuid before writing would cost as much as the write). Two cases the
    # index cannot see are checked first: a uuid moving between two events this import
    # rewrites, and any refusal, which must list every problem at once.
    if (problems and not skip_invalid) or _moving(to_write, current):
        _set_aside(to_write, problems, skip_invalid)
    now = timezone.now()
    reported = 0

    def counted(n: int) -> None:
        nonlocal reported
        reported += n
        progress(n)

    try:
        with transaction.atomic():
            written = _write_all(viewer, to_write, now, current, progress and counted)
    except IntegrityError:
        if not _set_aside(to_write, problems, skip_invalid):
            raise
        skip = reported  # the rolled-back attempt already moved the progress bar

        def catch_up(n: int) -> None:
            nonlocal skip
            progress(max(0, n - skip))
            skip = max(0, skip - n)

        written = _write_all(viewer, to_write, now, current, progress and catch_up)
    events_by_clean, result.indicators_written, written_values = written
    result.event_ids = [event.pk for _, event in events_by_clean]
    result.event_uuids = [event.uuid for _, event in events_by_clean]
    result.events_created = sum(1 for _, old in to_write if old is None)
    result.events_updated = len(to_write) - result.events_created
    values_changed(written_values)
    record(
        ctx, f"{source}", object_type="import",
        detail={"created": result.events_created, "updated": result.events_updated,
                "unchanged": result.events_unchanged, "indicators": result.indicators_written,
                "skipped": len(result.skipped),
                "events": [str(c.src.uuid) for c, _ in events_by_clean][:100]},
    )  # fmt: skip
    return result


def _moving(to_write, current: dict[int, list[tuple]]) -> bool:
    """Does an indicator uuid of one event being rewritten come in for another event?"""
    held = {row[1]: event_id for event_id, rows in current.items() for row in rows}
    if not held:
        return False
    for c, old in to_write:
        own = old.pk if old is not None else None
        for ind, *_ in c.indicators:
            if ind.uuid is not None and held.get(ind.uuid, own) != own:
                return True
    return False


def _set_aside(to_write, problems: list[Problem], skip_invalid: bool) -> bool:
    """Name the indicators whose uuid cannot be written; raise IngestError with every
    problem unless skip_invalid, else leave them out. False when there are none."""
    conflicts = _uuid_conflicts(to_write)
    problems += [problem for _, problem in conflicts]
    if problems and not skip_invalid:
        raise IngestError(problems)
    dropped = {id(ind) for ind, _ in conflicts}
    if dropped:
        for c, _old in to_write:
            c.indicators = [i for i in c.indicators if id(i[0]) not in dropped]
    return bool(conflicts)


def _write_all(viewer: Viewer, to_write, now, current, progress) -> tuple[list, int, set[str]]:
    """Write the events and their indicators: (events, indicators written, values)."""
    written_values: set[str] = set()
    for rows in current.values():
        written_values.update(r[3] for r in rows)
    events_by_clean = _write_events(viewer, to_write, now)
    _write_tags(events_by_clean)
    count = 0
    for c, event in events_by_clean:
        n = _write_indicators(event, c, now, current.get(event.pk))
        written_values.update(v for _, _, v, _ in c.indicators)
        count += n
        if progress:
            progress(n or 1)
    return events_by_clean, count, written_values


def _existing_events(uuids: list) -> dict:
    out = {}
    for chunk in _chunks(uuids, 2000):
        for e in Event.objects.filter(uuid__in=chunk).only("id", "uuid", "owner_id",
                                                            "source_modified"):  # fmt: skip
            out[e.uuid] = e
    return out


def _uuid_conflicts(to_write) -> list[tuple[IncomingIndicator, Problem]]:
    """Indicators whose uuid cannot be written: given twice, or held by an indicator of
    another event (a uuid may only be reused inside the event being replaced)."""
    out = []
    wanted: dict = {}
    for c, old in to_write:
        for ind, *_ in c.indicators:
            if ind.uuid is None:
                continue
            if ind.uuid in wanted:
                out.append((ind, Problem(ind.position, f"uuid {ind.uuid} is given twice")))
                continue
            wanted[ind.uuid] = (old.pk if old else None, ind)
    for u, event_id in indicators_by_uuid(list(wanted)):
        allowed, ind = wanted[u]
        if event_id != allowed:
            out.append((ind, Problem(ind.position, f"uuid {u} belongs to another indicator")))
    return out


def indicators_by_uuid(uuids: list) -> list[tuple]:
    """(uuid, event_id) of existing indicators among `uuids`: one indexed statement however
    many there are (raw SQL: compiling a 100,000-element IN list through the ORM costs more
    than running it)."""
    if not uuids:
        return []
    q = connection.ops.quote_name
    where, params = in_values(q("uuid"), uuids, uuids=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {q('uuid')}, {q('event_id')} FROM {q(Indicator._meta.db_table)}"  # noqa: S608
            f" WHERE {where}",
            params,
        )
        return [
            (raw if isinstance(raw, uuidlib.UUID) else uuidlib.UUID(raw), event_id)
            for raw, event_id in cursor.fetchall()
        ]


def _write_events(viewer: Viewer, to_write, now) -> list[tuple[_Clean, Event]]:
    out = []
    creates = []
    for c, old in to_write:
        src = c.src
        fields = dict(
            title=src.title.strip()[:500],
            description=src.description or "",
            date=src.date or now.date(),
            threat_level=src.threat_level,
            tlp=c.labels.tlp,
            pap=c.labels.pap,
            distribution=c.labels.distribution,
            sharing_group=c.labels.sharing_group,
            published=src.published,
            published_at=now if src.published else None,  # kept below if already published
            source_modified=src.source_modified,
            originator_name=(src.originator or "")[:255],
        )
        if old is not None:
            event = Event.objects.get(pk=old.pk)
            if event.published and src.published:
                fields["published_at"] = event.published_at
            for k, v in fields.items():
                setattr(event, k, v)
            event.save()
            out.append((c, event))
        else:
            event = Event(owner_id=viewer.org_id, originator_id=viewer.org_id, **fields)
            if src.uuid:
                event.uuid = src.uuid
            creates.append((c, event))
    if creates:
        Event.objects.bulk_create([e for _, e in creates], batch_size=500)
        if connection.features.can_return_rows_from_bulk_insert is False:  # pragma: no cover
            ids = dict(Event.objects.filter(uuid__in=[e.uuid for _, e in creates])
                       .values_list("uuid", "id"))  # fmt: skip
            for _, e in creates:
                e.pk = ids[e.uuid]
        out.extend(creates)
    return out


def _write_tags(events) -> None:
    names = {t for c, _ in events for t in c.tags}
    if not names:
        return
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    through = Event.tags.through
    event_ids = [e.pk for _, e in events]
    through.objects.filter(event_id__in=event_ids).delete()
    through.objects.bulk_create(
        [through(event_id=e.pk, tag_id=ids[t]) for c, e in events for t in c.tags],
        batch_size=2000,
    )


_COLUMNS = (
    "uuid", "event_id", "type", "value", "comment", "to_detect", "first_seen", "last_seen",
    "valid_until", "tlp", "pap", "distribution", "sharing_group_id", "net_lo", "net_hi",
    "warninglist", "source_modified", "sighting_count", "false_positive_count", "created",
    "modified",
)  # fmt: skip


def _uuid4s(n: int, as_hex: bool):
    """n random version-4 UUIDs from one urandom call: uuid.uuid4() per row costs more
    than the INSERT itself at this volume."""
    raw = bytearray(os.urandom(16 * n))
    for i in range(n):
        b = raw[16 * i : 16 * i + 16]
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        yield b.hex() if as_hex else uuidlib.UUID(bytes=bytes(b))


def _current_indicators(event_ids: list[int]) -> dict[int, list[tuple]]:
    """(id, uuid, type, value) of the indicators of events about to be updated."""
    out: dict[int, list[tuple]] = {}
    for chunk in _chunks(event_ids, 500):
        rows = Indicator.objects.filter(event_id__in=chunk).values_list(
            "event_id", "id", "uuid", "type", "value"
        )
        for event_id, *row in rows:
            out.setdefault(event_id, []).append(tuple(row))
    return out


def _write_indicators(event: Event, c: _Clean, now, current: list[tuple] | None) -> int:
    """A new version of an event keeps the rows of the indicators it still has (matched by
    uuid, then by type and value), so their uuids, creation times and sightings survive;
    it inserts the new ones and deletes the ones it no longer lists."""
    if not current:
        return _insert_indicators(event, c, now)
    by_uuid = {r[1]: r for r in current}
    by_key = {(r[2], r[3]): r for r in current}
    claimed: dict[int, tuple] = {}
    taken: set[int] = set()
    for i, (ind, *_rest) in enumerate(c.indicators):
        row = by_uuid.get(ind.uuid) if ind.uuid else None
        if row is not None and row[0] not in taken:
            claimed[i] = row
            taken.add(row[0])
    for i, (ind, type_name, value, _own) in enumerate(c.indicators):
        if i not in claimed:
            row = by_key.get((type_name, value))
            if row is not None and row[0] not in taken and ind.uuid in (None, row[1]):
                claimed[i] = row
                taken.add(row[0])
    gone = [r[0] for r in current if r[0] not in taken]
    for chunk in _chunks(gone, 2000):
        Indicator.objects.filter(pk__in=chunk).delete()
    kept = [(c.indicators[i], row) for i, row in claimed.items()]
    _update_indicators(kept, now)
    fresh = _Clean(c.src, c.labels, c.tags, [x for i, x in enumerate(c.indicators)
                                             if i not in claimed])  # fmt: skip
    return len(kept) + _insert_indicators(event, fresh, now)


def _update_indicators(kept: list, now) -> None:
    if not kept:
        return
    dt_field = Indicator._meta.get_field("created")

    def d(value):
        return None if value is None else dt_field.get_db_prep_value(value, connection)

    ids = [row[0] for _, row in kept]
    # Values may move between kept rows: park them first so the unique index holds.
    for chunk in _chunks(ids, 2000):
        Indicator.objects.filter(pk__in=chunk).update(value=parked_value())
    rows = []
    for (ind, type_name, value, own), row in kept:
        lo_hi = net_range(type_name, value) or (None, None)
        tlp, pap, dist, group = own or (None, None, None, None)
        rows.append((
            type_name, value, ind.comment or "", bool(ind.to_detect), d(ind.first_seen),
            d(ind.last_seen), d(ind.valid_until), tlp or None, pap or None, dist, group,
            lo_hi[0], lo_hi[1], warninglist_for(type_name, value), d(ind.source_modified),
            d(now), row[0],
        ))  # fmt: skip
    cols = ("type", "value", "comment", "to_detect", "first_seen", "last_seen", "valid_until",
            "tlp", "pap", "distribution", "sharing_group_id", "net_lo", "net_hi", "warninglist",
            "source_modified", "modified")  # fmt: skip
    q = connection.ops.quote_name
    sets = ", ".join(f"{q(col)} = %s" for col in cols)
    sql = f"UPDATE {q(Indicator._meta.db_table)} SET {sets} WHERE {q('id')} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, 5000):
            cursor.executemany(sql, chunk)


def _insert_indicators(event: Event, c: _Clean, now) -> int:
    """Raw executemany: the ORM's per-object overhead dominates at 100,000 rows."""
    if not c.indicators:
        return 0
    sqlite = connection.vendor == "sqlite"
    dt_field = Indicator._meta.get_field("created")
    # Sources repeat a handful of timestamps thousands of times: convert each once.
    stamps: dict = {None: None}

    def d(value):
        found = stamps.get(value, stamps)
        if found is stamps:
            found = stamps[value] = dt_field.get_db_prep_value(value, connection)
        return found

    stamp = d(now)
    rows = []
    fresh = _uuid4s(sum(1 for ind, *_ in c.indicators if ind.uuid is None), sqlite)
    no_labels = (None, None, None, None)
    for ind, type_name, value, own in c.indicators:
        lo, hi = net_range(type_name, value) or (None, None)
        tlp, pap, dist, group = own or no_labels
        u = ind.uuid
        rows.append((
            (u.hex if sqlite else u) if u is not None else next(fresh), event.pk, type_name,
            value, ind.comment or "", bool(ind.to_detect), d(ind.first_seen), d(ind.last_seen),
            d(ind.valid_until), tlp or None, pap or None, dist, group, lo, hi,
            warninglist_for(type_name, value), d(ind.source_modified), 0, 0, stamp, stamp,
        ))  # fmt: skip
    table = connection.ops.quote_name(Indicator._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(col) for col in _COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream instead of a round of Bind/Execute per row (~6x faster). The
            # driver's cursor, so Django's error translation is applied by hand (a unique
            # violation must reach do_ingest as django.db.IntegrityError).
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        marks = ", ".join(["%s"] * len(_COLUMNS))
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608 - names are constants
        for chunk in _chunks(rows, 5000):
            cursor.executemany(sql, chunk)
    return len(rows)
