"""MISP JSON codec: certfed's indicator types, labels and stamps <-> MISP attributes, tags,
distribution levels and timestamps. Pure Python (no Django) so the importer, the exports, the
feed and the tests share one mapping.

Distribution mapping (MISP level <-> certfed audience):

    0 your organisation only      <-> organisation
    1 this community              <-> community     (the national CERTs)
    2 connected communities       <-> federation    (every active member)
    3 all communities             <-> public        (certfed allows it with TLP CLEAR only)
    4 sharing group               <-> sharing_group (only a group the importer belongs to,
                                                     matched by the group's uuid)
    5 inherit event (attributes)  <-> no own distribution: the indicator inherits its event's

On import a level is applied only as far as certfed's rules allow. An event with no level, or
one certfed cannot honour, gets the importer's defaults — except that the result never reaches
further than the source meant: an unknown sharing group, or defaults wider than the source's
level, fall back to `organisation`, which the owner can widen later. An attribute may only
narrow its event (a looser level is dropped: MISP's effective audience is the narrower one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid as uuidlib
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from certfed.kernel.incoming import IncomingEvent, IncomingIndicator
from certfed.kernel.labels import (
    LabelError,
    Labels,
    distribution_rank,
    pap_rank,
    parse_pap,
    parse_tlp,
    tlp_rank,
    validate,
)

# -- indicator types -------------------------------------------------------------------------

# certfed type -> (MISP attribute type, MISP category) on export. Addresses and networks are
# all ip-dst: certfed does not record a direction, and ip-dst is what MISP's own free-text
# import picks; email is email-src because shared email indicators are phishing senders.
EXPORT_TYPES: dict[str, tuple[str, str]] = {
    "ipv4": ("ip-dst", "Network activity"),
    "ipv6": ("ip-dst", "Network activity"),
    "cidr": ("ip-dst", "Network activity"),
    "domain": ("domain", "Network activity"),
    "url": ("url", "Network activity"),
    "email": ("email-src", "Payload delivery"),
    "md5": ("md5", "Payload delivery"),
    "sha1": ("sha1", "Payload delivery"),
    "sha256": ("sha256", "Payload delivery"),
    "cve": ("vulnerability", "External analysis"),
}

_SIMPLE_IMPORT = {
    "domain": "domain",
    "hostname": "domain",
    "url": "url",
    "link": "url",
    "email": "email",
    "email-src": "email",
    "email-dst": "email",
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "vulnerability": "cve",
}
# Composite types: which part of "a|b" is the indicator (MISP writes them pipe-separated).
_COMPOSITE_IMPORT = {
    "filename|md5": ((1, "md5"),),
    "filename|sha1": ((1, "sha1"),),
    "filename|sha256": ((1, "sha256"),),
    "malware-sample": ((1, "md5"),),  # filename|md5 of an attached sample
    "ip-src|port": ((0, "ip"),),
    "ip-dst|port": ((0, "ip"),),
    "hostname|port": ((0, "domain"),),
    "domain|ip": ((0, "domain"), (1, "ip")),
}
IMPORT_TYPES: frozenset[str] = frozenset({"ip-src", "ip-dst", *_SIMPLE_IMPORT, *_COMPOSITE_IMPORT})


class UnsupportedAttribute(ValueError):
    """A MISP attribute type certfed has no indicator type for (text, filename, regkey…)."""


def _ip_type(value: str) -> str:
    if "/" in value:
        return "cidr"
    return "ipv6" if ":" in value else "ipv4"


def indicators_of_attribute(misp_type: str, value: Any) -> list[tuple[str, str]]:
    """The (certfed type, raw value) pairs one MISP attribute carries — usually one, two for
    domain|ip. Values are not validated here: the ingest normalises and reports them."""
    text = "" if value is None else str(value)
    if misp_type in ("ip-src", "ip-dst"):
        return [(_ip_type(text.strip()), text)]
    if misp_type in _SIMPLE_IMPORT:
        return [(_SIMPLE_IMPORT[misp_type], text)]
    parts_of = _COMPOSITE_IMPORT.get(misp_type)
    if parts_of is None:
        raise UnsupportedAttribute(
            f"MISP attribute type {misp_type!r} has no certfed indicator type "
            f"(supported: {', '.join(sorted(IMPORT_TYPES))})"
        )
    parts = text.split("|")
    out = []
    for index, kind in parts_of:
        part = parts[index] if index < len(parts) else ""
        out.append((_ip_type(part.strip()) if kind == "ip" else kind, part))
    return out


def attribute_type(type_name: str) -> tuple[str, str]:
    """(MISP type, category) for a certfed indicator type."""
    return EXPORT_TYPES[type_name]


# -- labels ---------------------------------------------------------------------------------

TO_MISP_DISTRIBUTION = {
    "organisation": 0,
    "community": 1,
    "federation": 2,
    "public": 3,
    "sharing_group": 4,
}
FROM_MISP_DISTRIBUTION = {v: k for k, v in TO_MISP_DISTRIBUTION.items()}
INHERIT = 5

THREAT_LEVEL_IDS = {"high": 1, "medium": 2, "low": 3, "undefined": 4}
THREAT_LEVELS = {v: k for k, v in THREAT_LEVEL_IDS.items()}

# The colours of the MISP tlp/PAP taxonomies, so tags look as MISP users expect.
_COLOURS = {
    "CLEAR": "#ffffff",
    "GREEN": "#33ff00",
    "AMBER": "#ffc000",
    "AMBER+STRICT": "#ffc000",
    "RED": "#ff2b2b",
}
DEFAULT_TAG_COLOUR = "#0088cc"


def distribution_id(distribution: str | None) -> str:
    """MISP distribution level as MISP writes it (a digit string); None means inherit."""
    return str(INHERIT if distribution is None else TO_MISP_DISTRIBUTION[distribution])


def threat_level_id(threat_level: str) -> str:
    return str(THREAT_LEVEL_IDS.get(threat_level, 4))


def tag(name: str, colour: str = DEFAULT_TAG_COLOUR) -> dict[str, Any]:
    return {"name": name, "colour": colour, "exportable": True}


def label_tags(tlp: str | None, pap: str | None) -> list[dict[str, Any]]:
    """tlp:/PAP: tags in the spelling of MISP's TLP 2.0 and PAP taxonomies."""
    out = []
    if tlp:
        out.append(tag(f"tlp:{tlp.lower()}", _COLOURS[tlp]))
    if pap:
        out.append(tag(f"PAP:{pap}", _COLOURS.get(pap, DEFAULT_TAG_COLOUR)))
    return out


def to_timestamp(value: dt.datetime) -> str:
    return str(int(value.timestamp()))


def from_timestamp(value: Any) -> dt.datetime:
    """A MISP timestamp (unix seconds, as int or digit string) as an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{value!r} is not a unix timestamp")
    try:
        seconds = int(float(value))
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"{value!r} is not a unix timestamp") from None


def _datetime(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_timestamp(value)
    try:
        parsed = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def tag_names(container: dict) -> list[str]:
    """Tag names of an event or attribute, in either shape MISP writes: Tag: [{name}] or
    EventTag/AttributeTag: [{Tag: {name}}]."""
    names = []
    for item in container.get("Tag") or []:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str):
            names.append(name)
    for key in ("EventTag", "AttributeTag"):
        for item in container.get(key) or []:
            inner = item.get("Tag") if isinstance(item, dict) else None
            if isinstance(inner, dict) and isinstance(inner.get("name"), str):
                names.append(inner["name"])
    return names


def split_label_tags(names: Iterable[str]) -> tuple[str | None, str | None, list[str]]:
    """(strictest TLP, strictest PAP, the other tags). Unknown tlp:/PAP: values (tlp:unclear,
    tlp:ex:chr) carry no certfed label and are not kept as free tags either, since a tag
    spelled like a label would be mistaken for one."""
    tlp: str | None = None
    pap: str | None = None
    rest: list[str] = []
    for raw in names:
        name = raw.strip()
        low = name.lower()
        if low.startswith("tlp:"):
            try:
                found = parse_tlp(name)
            except LabelError:
                continue
            tlp = found if tlp is None or tlp_rank(found) > tlp_rank(tlp) else tlp
        elif low.startswith("pap:"):
            try:
                found = parse_pap(name)
            except LabelError:
                continue
            pap = found if pap is None or pap_rank(found) > pap_rank(pap) else pap
        elif name and name not in rest:
            rest.append(name)
    return tlp, pap, rest


def _misp_level(value: Any) -> int | None:
    try:
        level = int(value)
    except (TypeError, ValueError):
        return None
    return level if 0 <= level <= 5 else None


def _fits(labels: Labels) -> bool:
    try:
        validate(labels)
    except LabelError:
        return False
    return True


class LabelDefaults(Protocol):
    """What the importer chose for objects whose source says nothing (intel.ingest.Defaults)."""

    tlp: str
    pap: str
    distribution: str
    sharing_group: str | None
    published: bool


def _group_uuid(container: dict) -> str | None:
    group = container.get("SharingGroup")
    if isinstance(group, dict) and group.get("uuid"):
        return str(group["uuid"]).lower()
    return None


def event_distribution(
    raw: dict, tlp: str, pap: str, defaults: LabelDefaults, known_groups: frozenset[str]
) -> tuple[str, str | None]:
    """(distribution, sharing group uuid) for an imported event; see the module docstring."""
    level = _misp_level(raw.get("distribution"))
    if level is None or level == INHERIT:
        return defaults.distribution, defaults.sharing_group
    wanted = FROM_MISP_DISTRIBUTION[level]
    group = None
    if wanted == "sharing_group":
        group = _group_uuid(raw)
        if group not in known_groups:
            return "organisation", None
    if _fits(Labels(tlp, pap, wanted, group)):
        return wanted, group
    fallback = Labels(tlp, pap, defaults.distribution, defaults.sharing_group)
    if distribution_rank(defaults.distribution) <= distribution_rank(wanted) and _fits(fallback):
        return defaults.distribution, defaults.sharing_group
    return "organisation", None


def attribute_labels(
    raw: dict, event: IncomingEvent, known_groups: frozenset[str]
) -> tuple[str | None, str | None, str | None, str | None]:
    """An attribute's own (tlp, pap, distribution, sharing group) where they narrow its
    event's, else None each: the indicator inherits."""
    a_tlp, a_pap, _ = split_label_tags(tag_names(raw))
    tlp = a_tlp if a_tlp and tlp_rank(a_tlp) > tlp_rank(event.tlp) else None
    pap = a_pap if a_pap and pap_rank(a_pap) > pap_rank(event.pap) else None
    level = _misp_level(raw.get("distribution"))
    dist: str | None = None
    group: str | None = None
    if level is not None and level != INHERIT:
        wanted = FROM_MISP_DISTRIBUTION[level]
        if wanted == "sharing_group":
            group = _group_uuid(raw)
            if group is None or group not in known_groups:
                dist, group = "organisation", None  # never wider than the source meant
            elif event.distribution == "sharing_group" and group != event.sharing_group:
                dist, group = "organisation", None  # two groups: no smaller common audience
            elif distribution_rank(event.distribution) > distribution_rank("sharing_group"):
                dist = "sharing_group"
            else:
                group = None
        elif distribution_rank(wanted) < distribution_rank(event.distribution):
            dist = wanted
    # The narrowed labels must still obey the rules (public needs CLEAR, RED names its
    # recipients): narrow the audience further rather than refuse the attribute.
    eff_tlp = tlp or event.tlp
    eff_dist = dist or event.distribution
    if eff_dist == "public" and eff_tlp != "CLEAR":
        dist, group = "federation", None
    if eff_tlp == "RED" and eff_dist not in ("organisation", "sharing_group"):
        dist, group = "organisation", None
    return tlp, pap, dist, group


# -- parsing --------------------------------------------------------------------------------


class MispFormatError(ValueError):
    """The document is not MISP JSON at all (not an event, a list or a restSearch answer)."""


def events_of(data: Any) -> list[dict]:
    """The event dicts in any shape PyMISP and MISP write: {"Event": {…}}, a bare event, a
    list of either, or restSearch's {"response": […]}."""
    if isinstance(data, dict) and "response" in data and "Event" not in data:
        data = data["response"]
    items = data if isinstance(data, list) else [data]
    out = []
    for i, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("Event"), dict):
            item = item["Event"]
        if not isinstance(item, dict):
            raise MispFormatError(f"Event[{i}] is not a MISP event object")
        out.append(item)
    if not out:
        raise MispFormatError("the document holds no MISP events")
    return out


def _uuid(value: Any) -> uuidlib.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuidlib.UUID(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a UUID") from None


def _bool(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _description(raw: dict) -> str:
    # MISP events have no description field: certfed writes it as an event report, and
    # reads every live report back.
    reports = [
        r.get("content", "")
        for r in raw.get("EventReport") or []
        if isinstance(r, dict) and not _bool(r.get("deleted"), False)
    ]
    return "\n\n".join(c for c in reports if isinstance(c, str) and c.strip())


def _attributes(raw: dict, pos: str) -> Iterator[tuple[dict, str]]:
    for i, attr in enumerate(raw.get("Attribute") or []):
        yield attr, f"{pos}.Attribute[{i}]"
    for j, obj in enumerate(raw.get("Object") or []):
        if not isinstance(obj, dict) or _bool(obj.get("deleted"), False):
            continue
        for i, attr in enumerate(obj.get("Attribute") or []):
            yield attr, f"{pos}.Object[{j}].Attribute[{i}]"


def parse_event(
    raw: dict,
    position: str,
    defaults: LabelDefaults,
    known_groups: frozenset[str],
    problems: list[tuple[str, str]],
) -> IncomingEvent | None:
    """One MISP event as certfed fields; problems are appended as (position, reason). None
    when the event itself is unusable (its attributes' problems are still all listed)."""
    try:
        title = raw.get("info")
        if not isinstance(title, str) or not title.strip():
            raise ValueError("has no info (the event's title)")
        tlp, pap, tags = split_label_tags(tag_names(raw))
        tlp = tlp or defaults.tlp
        pap = pap or defaults.pap
        dist, group = event_distribution(raw, tlp, pap, defaults, known_groups)
        level = raw.get("threat_level_id")
        threat = "undefined"
        if level not in (None, ""):
            try:
                threat = THREAT_LEVELS[int(level)]
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"threat_level_id {level!r} is not 1, 2, 3 or 4") from None
        date = None
        if raw.get("date"):
            try:
                date = dt.date.fromisoformat(str(raw["date"])[:10])
            except ValueError:
                raise ValueError(f"date {raw['date']!r} is not a date (YYYY-MM-DD)") from None
        stamp = raw.get("timestamp")
        orgc = raw.get("Orgc") if isinstance(raw.get("Orgc"), dict) else {}
        event = IncomingEvent(
            title=title.strip(),
            position=position,
            uuid=_uuid(raw.get("uuid")),
            description=_description(raw),
            date=date,
            threat_level=threat,
            tags=tags,
            tlp=tlp,
            pap=pap,
            distribution=dist,
            sharing_group=group,
            published=defaults.published and _bool(raw.get("published"), True),
            source_modified=from_timestamp(stamp) if stamp not in (None, "") else None,
            originator=str(orgc.get("name") or ""),
        )
    except ValueError as exc:
        problems.append((position, str(exc)))
        event = None
    for attr, pos in _attributes(raw, position):
        try:
            parsed = _parse_attribute(attr, pos, event, known_groups)
        except (ValueError, UnsupportedAttribute) as exc:
            problems.append((pos, str(exc)))
            continue
        if event is not None:
            event.indicators.extend(parsed)
    return event


def _parse_attribute(
    raw: Any, pos: str, event: IncomingEvent | None, known_groups: frozenset[str]
) -> list[IncomingIndicator]:
    if not isinstance(raw, dict):
        raise ValueError("is not a MISP attribute object")
    if _bool(raw.get("deleted"), False):
        return []  # soft-deleted in MISP: not intelligence any more
    misp_type = raw.get("type")
    if not isinstance(misp_type, str):
        raise ValueError("has no type")
    pairs = indicators_of_attribute(misp_type, raw.get("value"))
    attr_uuid = _uuid(raw.get("uuid"))
    stamp = raw.get("timestamp")
    tlp = pap = dist = group = None
    if event is not None:
        tlp, pap, dist, group = attribute_labels(raw, event, known_groups)
    common = dict(
        comment=str(raw.get("comment") or ""),
        to_detect=_bool(raw.get("to_ids"), True),
        first_seen=_datetime(raw.get("first_seen")),
        last_seen=_datetime(raw.get("last_seen")),
        tlp=tlp,
        pap=pap,
        distribution=dist,
        sharing_group=group,
        source_modified=from_timestamp(stamp) if stamp not in (None, "") else None,
    )
    out = []
    for n, (type_name, value) in enumerate(pairs):
        # A second indicator from one attribute (domain|ip) gets a uuid derived from the
        # attribute's, so re-importing keeps it stable.
        own = attr_uuid if n == 0 or attr_uuid is None else uuidlib.uuid5(attr_uuid, type_name)
        out.append(IncomingIndicator(type=type_name, value=value, position=pos, uuid=own, **common))
    return out


def parse_document(
    data: Any, defaults: LabelDefaults, known_groups: frozenset[str] = frozenset()
) -> tuple[list[IncomingEvent], list[tuple[str, str]]]:
    """Every event of a MISP document, and every problem found, by position (Event[0],
    Event[0].Attribute[3], Event[1].Object[0].Attribute[2])."""
    problems: list[tuple[str, str]] = []
    events = []
    for i, raw in enumerate(events_of(data)):
        parsed = parse_event(raw, f"Event[{i}]", defaults, known_groups, problems)
        if parsed is not None:
            events.append(parsed)
    return events, problems


# -- feeds ----------------------------------------------------------------------------------


def value_hashes(misp_type: str, value: str) -> list[str]:
    """md5 of an attribute's value for a feed's hashes.csv: each part of a composite value
    (a|b) hashed separately, as MISP's feed generator does."""
    parts = value.split("|") if "|" in misp_type or misp_type == "malware-sample" else [value]
    return [hashlib.md5(p.encode("utf-8"), usedforsecurity=False).hexdigest() for p in parts]


def manifest_entry(event: dict) -> dict[str, Any]:
    """An event's entry in a feed's manifest.json, from its {"Event": …} body's fields."""
    return {
        "Orgc": {"name": event["Orgc"]["name"], "uuid": event["Orgc"]["uuid"]},
        "Tag": [{"name": t["name"], "colour": t["colour"]} for t in event.get("Tag", [])],
        "info": event["info"],
        "date": event["date"],
        "analysis": event["analysis"],
        "threat_level_id": event["threat_level_id"],
        "timestamp": event["timestamp"],
    }
