"""Reading a STIX 2.1 bundle (or TAXII envelope) into what certfed makes of each object,
before anything touches the database.

Every object ends up as exactly one of: a report (→ an event), an indicator item (→ one or
more indicators: a simple pattern, an observed-data's cyber-observables, a CVE), a kept
object (stored as it came), or consumed (TLP markings, older versions of the same object,
observables already read through their observed-data). A vulnerability with a CVE is both
an item and kept. Bad objects are problems with their position ("objects[12]: …").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid as uuidlib
from dataclasses import dataclass, field

import orjson

from certfed.intel.ingest import IngestError, Problem
from certfed.kernel import stix21

_CONTENT_NS = uuidlib.UUID("5d0b7f55-9f0a-4a8c-8e0e-0c6f3f3e2a41")
# Observables certfed turns into indicators (the rest are kept as they came).
SUPPORTED_SCOS = frozenset({"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file"})
# STIX 2.1 SDO/SRO types: these must carry created and modified.
_VERSIONED = frozenset({
    "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
    "indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis",
    "note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability",
    "relationship", "sighting",
})  # fmt: skip


@dataclass(slots=True)
class Obj:
    """One valid object of the bundle."""

    index: int
    data: dict
    id: str
    type: str
    uuid: uuidlib.UUID
    created: dt.datetime | None
    modified: dt.datetime | None
    tlp: str | None  # from its own object_marking_refs
    version: str | None = None  # its modified property as given (TAXII versions)

    @property
    def position(self) -> str:
        return f"objects[{self.index}]"


@dataclass(slots=True)
class Item:
    """An object that becomes indicators."""

    obj: Obj
    pairs: list[tuple[str, str]]
    to_detect: bool = True
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    comment: str = ""
    own_uuid: bool = True  # False: the object's uuid is not the indicator's (observables)


@dataclass
class Parsed:
    bundle_uuid: uuidlib.UUID
    objects: list[Obj] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    reports: list[Obj] = field(default_factory=list)
    items: dict[str, Item] = field(default_factory=dict)
    kept: dict[str, Obj] = field(default_factory=dict)
    identities: dict[str, str] = field(default_factory=dict)  # id → name
    alias: dict[str, str] = field(default_factory=dict)  # consumed observable → observed-data
    observed_refs: set[str] = field(default_factory=set)  # observables some observed-data reads
    total: int = 0
    ids: list[tuple[str | None, str | None]] = field(default_factory=list)  # per index

    def resolve(self, ref: str) -> str:
        return self.alias.get(ref, ref)


def load(data: bytes | str | dict) -> tuple[dict, bytes | None]:
    """The top-level JSON object; IngestError when it is not JSON or not an object."""
    if isinstance(data, dict):
        return data, None
    raw = data.encode() if isinstance(data, str) else bytes(data)
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise IngestError([Problem("", f"not JSON: {exc}")]) from None
    if not isinstance(doc, dict):
        raise IngestError([Problem("", "a STIX bundle must be a JSON object")])
    return doc, raw


def parse_bundle(data: bytes | str | dict, bundle_uuid: uuidlib.UUID | None = None) -> Parsed:
    doc, raw = load(data)
    if doc.get("type", "bundle") != "bundle":
        raise IngestError([Problem("type", f"{doc.get('type')!r} is not a STIX bundle")])
    objects = doc.get("objects", [])
    if not isinstance(objects, list):
        raise IngestError([Problem("objects", "must be a list")])
    if "id" in doc:
        try:
            kind, bundle_uuid = stix21.split_id(doc["id"])
            if kind != "bundle":
                raise ValueError(f"{doc['id']!r} is not a bundle id")
        except ValueError as exc:
            raise IngestError([Problem("id", str(exc))]) from None
    if bundle_uuid is None:
        # No id (a TAXII envelope): the content names the bundle, so re-sending it is a no-op.
        digest = hashlib.sha256(raw or orjson.dumps(doc, option=orjson.OPT_SORT_KEYS))
        bundle_uuid = stix21.stable_uuid(_CONTENT_NS, digest.hexdigest())
    out = Parsed(bundle_uuid=bundle_uuid, total=len(objects))
    latest: dict[str, Obj] = {}
    ids = out.ids
    problems = out.problems
    for i, data_i in enumerate(objects):
        obj = _check(i, data_i, problems)
        if obj is None:
            ids.append(_id_version(data_i))
            continue
        ids.append((obj.id, obj.version))
        held = latest.get(obj.id)
        # A bundle may hold several versions of one object: the newest one counts.
        if held is None or (obj.modified or _EPOCH) >= (held.modified or _EPOCH):
            latest[obj.id] = obj
    out.objects = list(latest.values())
    if len(out.objects) < len(ids):  # a newer version replaced an older one: keep order
        out.objects.sort(key=lambda o: o.index)
    _classify(out)
    return out


_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
_ABSENT = object()


def _id_version(data) -> tuple[str | None, str | None]:
    if not isinstance(data, dict):
        return None, None
    sid = data.get("id") if isinstance(data.get("id"), str) else None
    mod = data.get("modified") if isinstance(data.get("modified"), str) else None
    return sid, mod


def _check(i: int, data, problems: list[Problem]) -> Obj | None:
    if not isinstance(data, dict):
        problems.append(Problem(f"objects[{i}]", "is not a JSON object"))
        return None
    kind = data.get("type")
    try:
        if not isinstance(kind, str) or not kind:
            raise ValueError("has no type")
        sid = data.get("id")
        id_type, id_uuid = stix21.split_id(sid)
        if id_type != kind:
            raise ValueError(f"id {sid!r} does not match type {kind!r}")
        spec = data.get("spec_version", "2.1")
        if spec != "2.1" and spec != "2.0":
            raise ValueError(f"spec_version {spec!r} is not 2.1")
        created = data.get("created", _ABSENT)
        modified = data.get("modified", _ABSENT)
        if created is not _ABSENT:
            created = stix21.parse_timestamp(created)
        elif kind in _VERSIONED and spec == "2.1":
            raise ValueError("has no created")
        if modified is not _ABSENT:
            version = modified if type(modified) is str else None
            modified = stix21.parse_timestamp(modified)
        elif kind in _VERSIONED and spec == "2.1":
            raise ValueError("has no modified")
        else:
            version, modified = None, None
        refs = data.get("object_marking_refs", ())
        if type(refs) is not list and refs != ():
            raise ValueError("object_marking_refs must be a list")
    except ValueError as exc:
        problems.append(Problem(f"objects[{i}]", str(exc)))
        return None
    created = None if created is _ABSENT else created
    return Obj(i, data, sid, kind, id_uuid, created, modified or created, None, version)


def _classify(out: Parsed) -> None:
    local_tlp: dict[str, str] = {}
    for obj in out.objects:
        if obj.type == "marking-definition":
            level = stix21.tlp_of_marking_object(obj.data)
            if level:
                local_tlp[obj.id] = level
    by_id = {o.id: o for o in out.objects}
    out.observed_refs = {
        ref
        for o in out.objects
        if o.type == "observed-data"
        for ref in _refs(o.data.get("object_refs"))
    }
    for obj in out.objects:
        obj.tlp = stix21.strictest_tlp(obj.data.get("object_marking_refs", []), local_tlp)
        if obj.type == "identity" and isinstance(obj.data.get("name"), str):
            out.identities[obj.id] = obj.data["name"].strip()[:255]
    for obj in out.objects:
        try:
            _classify_one(out, obj, by_id, local_tlp)
        except ValueError as exc:
            out.problems.append(Problem(obj.position, str(exc)))


def _refs(value) -> list[str]:
    return [r for r in value if isinstance(r, str)] if isinstance(value, list) else []


def as_ref(value) -> str | None:
    """A reference property's value when it is one (input may put anything anywhere)."""
    return value if isinstance(value, str) else None


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _when(obj: Obj, name: str) -> dt.datetime | None:
    if name not in obj.data:
        return None
    return stix21.parse_timestamp(obj.data[name])


def _classify_one(out: Parsed, obj: Obj, by_id: dict, local_tlp: dict) -> None:
    kind, data = obj.type, obj.data
    if kind == "marking-definition" and obj.id in local_tlp:
        return  # TLP is carried by certfed's own labels
    if kind == "report":
        refs = data.get("object_refs")
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise ValueError("object_refs must be a list of identifiers")
        out.reports.append(obj)
        return
    if kind == "indicator":
        item = _indicator(obj)
        if item is not None:
            out.items[obj.id] = item
            return
    elif kind == "observed-data":
        item = _observed(out, obj, by_id)
        if item is not None:
            out.items[obj.id] = item
            return
    elif kind in SUPPORTED_SCOS and obj.id not in out.alias:
        pairs = stix21.sco_values(data)
        if pairs and obj.id not in out.observed_refs:
            out.items[obj.id] = Item(obj, pairs, to_detect=False, own_uuid=False)
            return
    elif kind == "vulnerability":
        cve = stix21.cve_of(data)
        if cve:
            out.items[obj.id] = Item(obj, [("cve", cve)], comment=_text(data.get("description")))
    if obj.id not in out.alias:
        out.kept[obj.id] = obj


def _indicator(obj: Obj) -> Item | None:
    data = obj.data
    if data.get("pattern_type", "stix") != "stix":
        return None  # sigma, yara, snort…: kept as they came
    try:
        pairs = stix21.parse_pattern(data.get("pattern"))
    except stix21.PatternError as exc:
        shown = repr(data.get("pattern"))[:200]
        raise ValueError(f"pattern {shown} is not a valid STIX pattern: {exc}") from None
    if pairs is None:
        return None
    return Item(
        obj,
        pairs,
        to_detect=stix21.to_detect_of(data),
        first_seen=_when(obj, "valid_from"),
        valid_until=_when(obj, "valid_until"),
        comment=_text(data.get("description")),
    )


def _observed(out: Parsed, obj: Obj, by_id: dict) -> Item | None:
    data = obj.data
    scos: list[tuple[str | None, dict]] = []
    for ref in _refs(data.get("object_refs")):
        target = by_id.get(ref)
        if target is not None and target.type in SUPPORTED_SCOS:
            scos.append((ref, target.data))
    embedded = data.get("objects")  # STIX 2.0 style: observables inside the observed-data
    if isinstance(embedded, dict):
        scos += [(None, o) for o in embedded.values() if isinstance(o, dict)]
    pairs: list[tuple[str, str]] = []
    for ref, sco in scos:
        found = stix21.sco_values(sco)
        if found and ref:
            out.alias[ref] = obj.id
            out.kept.pop(ref, None)
            out.items.pop(ref, None)
        pairs += [p for p in found if p not in pairs]
    if not pairs:
        return None
    return Item(
        obj,
        pairs,
        to_detect=False,
        first_seen=_when(obj, "first_observed"),
        last_seen=_when(obj, "last_observed"),
        comment=_text(data.get("description")),
        own_uuid=False,
    )
