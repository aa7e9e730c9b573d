"""Writing what a STIX import keeps as it came (exchange.models.StixObject), and counting
the sightings among those objects. Called by the importer once the events exist."""

from __future__ import annotations

import logging
import uuid as uuidlib
from dataclasses import dataclass, field

import orjson
from django.db import transaction
from django.utils import timezone

from certfed.audit.log import Context
from certfed.exchange.models import StixObject
from certfed.exchange.stix.parse import Obj
from certfed.intel.ingest import Problem
from certfed.kernel import stix21
from certfed.kernel.labels import LabelError, Labels, tlp_rank, validate
from certfed.platform.errors import ActionError
from certfed.sharing.access import Viewer, access_sharing_groups

log = logging.getLogger(__name__)


@dataclass
class Kept:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: list[tuple[Obj, Labels]] = field(default_factory=list)


def write_kept(viewer: Viewer, kept: dict[str, Obj], home: dict[str, dict],
               existing: dict[str, dict], problems: list[Problem]) -> Kept:  # fmt: skip
    """Create or update kept objects — newer versions only — each in its event (`home`:
    object id → event row) with the event's labels, or its own TLP marking when stricter."""
    now = timezone.now()
    out = Kept()
    creates, updates = [], []
    for kept_id, obj in kept.items():
        event = home.get(kept_id)
        if event is None:
            continue
        tlp = obj.tlp if obj.tlp and tlp_rank(obj.tlp) > tlp_rank(event["tlp"]) else None
        labels = Labels(tlp or event["tlp"], event["pap"], event["distribution"],
                        event["sharing_group_id"])  # fmt: skip
        try:
            validate(labels)
        except LabelError as exc:
            problems.append(Problem(obj.position, exc.message))
            continue
        row = StixObject(
            owner_id=viewer.org_id, originator_id=viewer.org_id, tlp=labels.tlp, pap=labels.pap,
            distribution=labels.distribution, sharing_group_id=labels.sharing_group,
            stix_id=obj.id, stix_uuid=obj.uuid, type=obj.type,
            spec_version=str(obj.data.get("spec_version", "2.1")),
            stix_modified=obj.modified, name=_name(obj), raw=orjson.dumps(obj.data).decode(),
            event_id=event["id"], created=now, modified=now,
        )  # fmt: skip
        old = existing.get(kept_id)
        if old is None:
            creates.append(row)
        elif _is_newer(obj, row.raw, old) or old["event_id"] != row.event_id:
            row.pk = old["id"]
            updates.append(row)
        else:
            out.unchanged += 1
            continue
        out.written.append((obj, labels))
    StixObject.objects.bulk_create(creates, batch_size=1000)
    fields = ["tlp", "pap", "distribution", "sharing_group", "type", "spec_version",
              "stix_modified", "name", "raw", "event", "modified"]  # fmt: skip
    StixObject.objects.bulk_update(updates, fields, batch_size=1000)
    out.created, out.updated = len(creates), len(updates)
    return out


def record_stix_sightings(ctx: Context, viewer: Viewer, written: list[tuple[Obj, Labels]],
                          identities: dict[str, str], uuids: dict[uuidlib.UUID, uuidlib.UUID],
                          problems: list[Problem]) -> int:  # fmt: skip
    """New or newer sighting objects of indicators also count as sightings, with the labels
    they are kept with (a re-import of the same version counts nothing twice). `uuids` maps
    an indicator's STIX uuid to ours where they differ. Returns how many were recorded."""
    sightings = [(o, labels) for o, labels in written if o.type == "sighting"]
    if not sightings:
        return 0
    try:
        from certfed.intel.sightings import IncomingSighting, do_add_sightings
    except ImportError:  # intel.sightings not there yet: the objects are still kept
        log.warning("certfed.intel.sightings is missing: %d sightings not recorded",
                    len(sightings))  # fmt: skip
        return 0
    groups = dict(access_sharing_groups(viewer).values_list("pk", "uuid"))
    batch = []
    for obj, labels in sightings:
        try:
            kind, u = stix21.split_id(obj.data.get("sighting_of_ref"))
        except ValueError:
            continue
        if kind != "indicator":
            continue  # a sighting of malware, a campaign…: kept, not counted
        where = obj.data.get("where_sighted_refs")
        where = [w for w in where if isinstance(w, str)] if isinstance(where, list) else []
        source = next((identities[w] for w in where if w in identities), "")
        count = obj.data.get("count")
        when = _when(obj.data.get("last_seen")) or obj.created or obj.modified
        group = groups.get(labels.sharing_group)
        batch.append((obj, IncomingSighting(
            type="sighting", value=None, indicator_uuid=uuids.get(u, u),
            source=(source or "stix")[:255], time=when,
            count=count if type(count) is int and count > 0 else 1,
            tlp=labels.tlp, distribution=labels.distribution,
            sharing_group=str(group) if group else None,
        )))  # fmt: skip
    try:
        with transaction.atomic():
            do_add_sightings(ctx, viewer, [s for _, s in batch])
        return len(batch)
    except ActionError:
        recorded = 0
        for obj, s in batch:  # one by one, to say which ones failed
            try:
                with transaction.atomic():
                    do_add_sightings(ctx, viewer, [s])
                recorded += 1
            except ActionError as exc:
                problems.append(Problem(obj.position, str(exc)))
        return recorded


def _when(value):
    try:
        return stix21.parse_timestamp(value) if value else None
    except ValueError:
        return None


def _name(obj: Obj) -> str:
    name = obj.data.get("name")
    return name.strip()[:255] if isinstance(name, str) else ""


def _is_newer(obj: Obj, raw: str, old: dict) -> bool:
    if obj.modified is not None and old["stix_modified"] is not None:
        return obj.modified > old["stix_modified"]
    if obj.modified is not None:
        return True
    return raw != old["raw"]  # no version stamp (observables, markings): compare content
