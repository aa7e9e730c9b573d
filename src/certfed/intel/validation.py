"""Turning untrusted event/indicator input into clean values, with messages that name the
field and the value. Pure checks: nothing is written here."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from certfed.intel.models import Event
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
from certfed.platform.errors import Invalid, NotFound
from certfed.sharing.access import Viewer, access_sharing_groups

_ATTACK = re.compile(r"^t\d{4}(\.\d{3})?$", re.IGNORECASE)
MAX_VALUE = 2048
THREAT_LEVELS = tuple(t.value for t in Event.ThreatLevel)


def clean_text(value: Any, field: str, *, required: bool = False, max_length: int = 0) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"must be text, not {type(value).__name__}", field)
    value = value.strip()
    if required and not value:
        raise Invalid("must not be empty", field)
    if max_length and len(value) > max_length:
        raise Invalid(f"is {len(value)} characters long; the limit is {max_length}", field)
    return value


def clean_date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        parsed = parse_date(str(value)) if value else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise Invalid(f"{value!r} is not a date (use YYYY-MM-DD)", field)
    return parsed


def clean_datetime(value: Any, field: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = str(value).strip()
        try:
            parsed = parse_datetime(text)
            if parsed is None and len(text) == 10:
                day = parse_date(text)
                parsed = dt.datetime.combine(day, dt.time.min) if day else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise Invalid(f"{value!r} is not a date-time (use ISO 8601)", field)
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        # Normalising to UTC overflows at the calendar's edges (year 1 or 9999 with offsets).
        parsed = parsed.astimezone(dt.UTC)
    except OverflowError:
        raise Invalid(f"{value!r} is outside the supported date range", field) from None
    if not 1900 <= parsed.year <= 9000:
        raise Invalid(f"{value!r} is outside the supported years 1900-9000", field)
    return parsed


def clean_tags(value: Any, field: str = "tags") -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise Invalid("must be a list of strings", field)
    tags: list[str] = []
    for i, tag in enumerate(value):
        name = clean_text(tag, f"{field}[{i}]", required=True, max_length=255)
        if name.lower().startswith("tlp:") or name.lower().startswith("pap:"):
            raise Invalid(f"{name!r}: set the tlp and pap fields instead of a tag", f"{field}[{i}]")
        if _ATTACK.match(name):
            name = name.upper()
        if name not in tags:
            tags.append(name)
    return tags


def _labels_error(exc: LabelError) -> Invalid:
    return Invalid(exc.message, exc.field)


@dataclass
class CleanLabels:
    tlp: str
    pap: str
    distribution: str
    sharing_group: Any  # SharingGroup | None

    def as_labels(self) -> Labels:
        return Labels(
            self.tlp,
            self.pap,
            self.distribution,
            self.sharing_group.pk if self.sharing_group else None,
        )


def resolve_sharing_group(viewer: Viewer, value: Any, field: str):
    if value in (None, ""):
        return None
    group = access_sharing_groups(viewer).filter(uuid=clean_uuid(value, field)).first()
    if group is None:
        raise Invalid(f"no sharing group {str(value)!r} that your organisation belongs to", field)
    return group


def clean_uuid(value: Any, field: str):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Invalid(f"{value!r} is not a UUID", field) from None


def clean_labels(
    viewer: Viewer, data: dict, current: CleanLabels | None = None, prefix: str = ""
) -> CleanLabels:
    p = f"{prefix}." if prefix else ""
    try:
        tlp = (
            parse_tlp(data["tlp"], f"{p}tlp")
            if "tlp" in data
            else (current.tlp if current else "AMBER")
        )
        pap = (
            parse_pap(data["pap"], f"{p}pap")
            if "pap" in data
            else (current.pap if current else "AMBER")
        )
        dist = (
            parse_distribution(data["distribution"], f"{p}distribution")
            if "distribution" in data
            else (current.distribution if current else "organisation")
        )
    except LabelError as exc:
        raise _labels_error(exc) from None
    if "sharing_group" in data:
        group = resolve_sharing_group(viewer, data["sharing_group"], f"{p}sharing_group")
    elif current is not None and dist == "sharing_group":
        group = current.sharing_group
    else:
        group = None
    labels = CleanLabels(tlp, pap, dist, group)
    try:
        validate(labels.as_labels(), prefix)
    except LabelError as exc:
        raise _labels_error(exc) from None
    return labels


@dataclass
class CleanIndicator:
    type: str
    value: str
    comment: str = ""
    to_detect: bool = True
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    uuid: Any = None
    tlp: str | None = None
    pap: str | None = None
    distribution: str | None = None
    sharing_group: Any = None


def clean_indicator(viewer: Viewer, parent: CleanLabels, item: Any, field: str) -> CleanIndicator:
    if isinstance(item, str):
        item = {"value": item}
    if not isinstance(item, dict):
        raise Invalid("must be an object with at least a value", field)
    raw = item.get("value")
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid("is required", f"{field}.value")
    if len(raw) > MAX_VALUE:
        raise Invalid(f"is {len(raw)} characters long; the limit is {MAX_VALUE}", f"{field}.value")
    type_name = item.get("type") or None
    try:
        type_name, value = normalise_any(raw, type_name)
    except InvalidIndicator as exc:
        raise Invalid(str(exc), f"{field}.value") from None
    out = CleanIndicator(type=type_name, value=value)
    out.comment = clean_text(item.get("comment"), f"{field}.comment", max_length=10000)
    to_detect = item.get("to_detect", True)
    if not isinstance(to_detect, bool):
        raise Invalid(f"{to_detect!r} is not true or false", f"{field}.to_detect")
    out.to_detect = to_detect
    for name in ("first_seen", "last_seen", "valid_until"):
        setattr(out, name, clean_datetime(item.get(name), f"{field}.{name}"))
    if out.first_seen and out.last_seen and out.first_seen > out.last_seen:
        raise Invalid("first_seen is after last_seen", f"{field}.last_seen")
    if item.get("uuid"):
        out.uuid = clean_uuid(item["uuid"], f"{field}.uuid")
    own = {k: item[k] for k in ("tlp", "pap", "distribution", "sharing_group") if item.get(k)}
    if own:
        merged = {
            "tlp": parent.tlp,
            "pap": parent.pap,
            "distribution": parent.distribution,
            "sharing_group": parent.sharing_group.uuid if parent.sharing_group else None,
        } | own
        if merged["distribution"] != "sharing_group" and "sharing_group" not in own:
            merged["sharing_group"] = None
        labels = clean_labels(viewer, merged, prefix=field)
        try:
            validate_child(parent.as_labels(), labels.as_labels(), field)
        except LabelError as exc:
            raise _labels_error(exc) from None
        out.tlp = labels.tlp if "tlp" in own else None
        out.pap = labels.pap if "pap" in own else None
        if "distribution" in own or "sharing_group" in own:
            out.distribution = labels.distribution
            out.sharing_group = labels.sharing_group
    return out


def clean_indicators(viewer: Viewer, parent: CleanLabels, items: Any) -> list[CleanIndicator]:
    if items is None:
        return []
    if not isinstance(items, list | tuple):
        raise Invalid("must be a list", "indicators")
    cleaned: list[CleanIndicator] = []
    seen: dict[tuple[str, str], int] = {}
    uuids: dict[Any, int] = {}
    for i, item in enumerate(items):
        ind = clean_indicator(viewer, parent, item, f"indicators[{i}]")
        if ind.uuid is not None:
            if ind.uuid in uuids:
                raise Invalid(
                    f"uuid {str(ind.uuid)!r} is already given as indicators[{uuids[ind.uuid]}]",
                    f"indicators[{i}].uuid",
                )
            uuids[ind.uuid] = i
        key = (ind.type, ind.value)
        if key in seen:
            raise Invalid(
                f"{ind.type} {ind.value!r} is already given as indicators[{seen[key]}]",
                f"indicators[{i}].value",
            )
        seen[key] = i
        cleaned.append(ind)
    return cleaned


def not_found(what: str, key: Any) -> NotFound:
    return NotFound(f"no {what} {str(key)!r}")
