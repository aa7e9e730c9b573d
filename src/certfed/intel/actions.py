"""Writes on events and their indicators. Each do_* validates everything first, then writes
in one transaction with bulk statements, then audits — never half-written."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from certfed.audit.log import Context, record
from certfed.intel.correlation import values_changed
from certfed.intel.models import Event, Indicator, Tag
from certfed.intel.models.indicator import parked_value
from certfed.intel.validation import (
    THREAT_LEVELS,
    CleanIndicator,
    CleanLabels,
    clean_date,
    clean_indicators,
    clean_labels,
    clean_tags,
    clean_text,
    clean_uuid,
)
from certfed.intel.warninglists import warninglist_for
from certfed.kernel.netrange import net_range
from certfed.platform.errors import Forbidden, Invalid
from certfed.sharing.access import Viewer, can_change

EVENT_FIELDS = {
    "title", "description", "date", "threat_level", "tags", "tlp", "pap", "distribution",
    "sharing_group", "published", "indicators",
}  # fmt: skip


def _check_fields(data: dict) -> None:
    unknown = sorted(set(data) - EVENT_FIELDS - {"uuid", "owner", "originator"})
    if unknown:
        raise Invalid(f"unknown field {unknown[0]!r}", unknown[0])


def _check_writer(viewer: Viewer) -> None:
    if not viewer.can_write:
        raise Forbidden("your role may not create or change events")


def _threat_level(value: Any) -> str:
    if value not in THREAT_LEVELS:
        raise Invalid(f"{value!r} is not one of {', '.join(THREAT_LEVELS)}", "threat_level")
    return value


def _published(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{value!r} is not true or false", "published")
    return value


def _set_tags(event: Event, names: list[str]) -> None:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    event.tags.set([existing[n] for n in names])


def _indicator_row(event: Event, ind: CleanIndicator) -> Indicator:
    lo_hi = net_range(ind.type, ind.value) or (None, None)
    row = Indicator(
        net_lo=lo_hi[0],
        net_hi=lo_hi[1],
        warninglist=warninglist_for(ind.type, ind.value),
        event=event,
        type=ind.type,
        value=ind.value,
        comment=ind.comment,
        to_detect=ind.to_detect,
        first_seen=ind.first_seen,
        last_seen=ind.last_seen,
        valid_until=ind.valid_until,
        tlp=ind.tlp,
        pap=ind.pap,
        distribution=ind.distribution,
        sharing_group=ind.sharing_group,
    )
    if ind.uuid is not None:
        row.uuid = ind.uuid
    return row


def _check_new_uuids(rows: list[Indicator], event: Event | None = None) -> None:
    uuids = [r.uuid for r in rows]
    clash = Indicator.objects.filter(uuid__in=uuids)
    if event is not None:
        clash = clash.exclude(event=event)
    taken = clash.values_list("uuid", flat=True).first()
    if taken is not None:
        i = uuids.index(taken)
        raise Invalid(f"uuid {str(taken)!r} belongs to another indicator", f"indicators[{i}].uuid")


@transaction.atomic
def do_create_event(ctx: Context, viewer: Viewer, data: dict) -> Event:
    _check_writer(viewer)
    _check_fields(data)
    labels = clean_labels(viewer, data)
    title = clean_text(data.get("title"), "title", required=True, max_length=500)
    description = clean_text(data.get("description"), "description", max_length=100_000)
    date = clean_date(data["date"], "date") if data.get("date") else timezone.now().date()
    threat = _threat_level(data.get("threat_level", "undefined"))
    published = _published(data.get("published", False))
    tags = clean_tags(data.get("tags"))
    indicators = clean_indicators(viewer, labels, data.get("indicators"))

    event = Event(
        title=title,
        description=description,
        date=date,
        threat_level=threat,
        published=published,
        published_at=timezone.now() if published else None,
        owner_id=viewer.org_id,
        originator_id=viewer.org_id,
        tlp=labels.tlp,
        pap=labels.pap,
        distribution=labels.distribution,
        sharing_group=labels.sharing_group,
    )
    if data.get("uuid"):
        event.uuid = clean_uuid(data["uuid"], "uuid")
        if Event.objects.filter(uuid=event.uuid).exists():
            raise Invalid(f"an event with uuid {str(event.uuid)!r} already exists", "uuid")
    event.save()
    _set_tags(event, tags)
    rows = [_indicator_row(event, i) for i in indicators]
    _check_new_uuids(rows)
    Indicator.objects.bulk_create(rows, batch_size=2000)
    values_changed({r.value for r in rows})
    record(
        ctx, "event.create", event,
        detail={"title": title, "tlp": labels.tlp, "distribution": labels.distribution,
                "indicators": len(rows), "published": published},
    )  # fmt: skip
    return event


def _current_labels(event: Event) -> CleanLabels:
    return CleanLabels(event.tlp, event.pap, event.distribution, event.sharing_group)


@transaction.atomic
def do_update_event(ctx: Context, viewer: Viewer, event: Event, data: dict) -> Event:
    """Partial update. `indicators`, when given, is the event's new full list: items are
    matched to existing ones by uuid, else by (type, value), so their uuids survive."""
    if not can_change(viewer, event):
        raise Forbidden("only analysts and admins of the owning organisation may change it")
    _check_fields(data)
    for frozen in ("uuid", "owner", "originator"):
        if frozen in data and str(data[frozen]) != str(_frozen_value(event, frozen)):
            raise Invalid("cannot be changed", frozen)
    labels = clean_labels(viewer, data, current=_current_labels(event))
    changed: dict[str, Any] = {}

    def put(field: str, value: Any) -> None:
        if getattr(event, field) != value:
            setattr(event, field, value)
            changed[field] = value if isinstance(value, str | bool | int) else str(value)

    if "title" in data:
        put("title", clean_text(data["title"], "title", required=True, max_length=500))
    if "description" in data:
        put("description", clean_text(data["description"], "description", max_length=100_000))
    if "date" in data:
        put("date", clean_date(data["date"], "date"))
    if "threat_level" in data:
        put("threat_level", _threat_level(data["threat_level"]))
    put("tlp", labels.tlp)
    put("pap", labels.pap)
    put("distribution", labels.distribution)
    put("sharing_group", labels.sharing_group)
    if "published" in data:
        published = _published(data["published"])
        if published and not event.published:
            event.published_at = timezone.now()
        put("published", published)

    # Existing children must still fit inside the (possibly narrowed) parent labels.
    if "indicators" in data:
        new = clean_indicators(viewer, labels, data["indicators"])
    else:
        new = None
        _check_children_fit(event, labels)

    if "tags" in data:
        tags = clean_tags(data["tags"])
        if sorted(tags) != sorted(event.tags.values_list("name", flat=True)):
            changed["tags"] = tags
        _set_tags(event, tags)
    if new is not None:
        changed.update(_replace_indicators(event, new))
    if changed.keys() & {"tlp", "pap", "distribution", "sharing_group", "published"}:
        # Who may read the indicators changed: they are new to incremental readers (TAXII
        # added_after, feeds) even though their own fields did not.
        event.indicators.update(modified=timezone.now())
    if changed and event.source_modified is not None:
        # A local edit is a new version: exports carry the bump, and re-importing the
        # older source version no longer overwrites the edit.
        event.source_modified = timezone.now()
    event.save()
    record(ctx, "event.update", event, detail={"changed": sorted(changed)})
    return event


def _frozen_value(event: Event, field: str) -> Any:
    if field == "uuid":
        return event.uuid
    return getattr(event, field).short_name


def _check_children_fit(event: Event, labels: CleanLabels) -> None:
    from certfed.kernel.labels import LabelError, Labels, validate_child

    for ind in event.indicators.exclude(
        tlp__isnull=True, pap__isnull=True, distribution__isnull=True
    ):
        child = Labels(
            ind.tlp or labels.tlp,
            ind.pap or labels.pap,
            ind.distribution or labels.distribution,
            ind.sharing_group_id
            if ind.distribution
            else (labels.sharing_group.pk if labels.sharing_group else None),
        )
        try:
            validate_child(labels.as_labels(), child, f"indicator {ind.uuid}")
        except LabelError as exc:
            raise Invalid(exc.message, exc.field) from None


def _replace_indicators(event: Event, new: list[CleanIndicator]) -> dict[str, int]:
    existing = list(event.indicators.all())
    by_uuid = {i.uuid: i for i in existing}
    by_key = {(i.type, i.value): i for i in existing}
    keep: list[Indicator] = []
    create: list[Indicator] = []
    # Two passes, each existing row claimed at most once: uuid matches first, then
    # (type, value) matches among the rows nobody claimed — so no item is silently dropped.
    claimed: dict[int, Indicator] = {}
    for i, item in enumerate(new):
        old = by_uuid.get(item.uuid) if item.uuid else None
        if old is not None:
            claimed[i] = old
    taken = {old.pk for old in claimed.values()}
    for i, item in enumerate(new):
        if i not in claimed and item.uuid is None:
            old = by_key.get((item.type, item.value))
            if old is not None and old.pk not in taken:
                claimed[i] = old
                taken.add(old.pk)
    for i, item in enumerate(new):
        row = _indicator_row(event, item)
        old = claimed.get(i)
        if old is not None:
            row.pk, row.uuid, row.created = old.pk, old.uuid, old.created
            keep.append(row)
        else:
            create.append(row)
    keep_ids = {r.pk for r in keep}
    removed = [i.pk for i in existing if i.pk not in keep_ids]
    _check_new_uuids(create, event)
    if removed:
        Indicator.objects.filter(pk__in=removed).delete()
    fields = [
        "type",
        "value",
        "comment",
        "to_detect",
        "first_seen",
        "last_seen",
        "valid_until",
        "tlp",
        "pap",
        "distribution",
        "sharing_group",
        "modified",
        "net_lo",
        "net_hi",
        "warninglist",
    ]
    now = timezone.now()
    for r in keep:
        r.modified = now
    if keep:
        # Values may swap between rows; clear them first so the unique constraint holds.
        Indicator.objects.filter(pk__in=keep_ids).update(value=parked_value())
        Indicator.objects.bulk_update(keep, fields, batch_size=1000)
    Indicator.objects.bulk_create(create, batch_size=2000)
    values_changed({i.value for i in existing} | {r.value for r in keep + create})
    return {
        "indicators_added": len(create),
        "indicators_removed": len(removed),
        "indicators_kept": len(keep),
    }


@transaction.atomic
def do_delete_event(ctx: Context, viewer: Viewer, event: Event) -> None:
    if not can_change(viewer, event):
        raise Forbidden("only analysts and admins of the owning organisation may delete it")
    uuid, title = str(event.uuid), event.title
    values = set(event.indicators.values_list("value", flat=True))
    count = len(values)
    event.delete()
    values_changed(values)
    record(
        ctx,
        "event.delete",
        object_type="event",
        object_id=uuid,
        detail={"title": title, "indicators": count},
    )
