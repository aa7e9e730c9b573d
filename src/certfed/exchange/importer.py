"""`certfed import FILE`: detect the format, parse, and hand everything to the bulk ingest in
one transaction. STIX and MISP parsing live in their own packages; CSV is here."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import Callable
from pathlib import Path

from certfed.audit.log import Context
from certfed.intel.ingest import (
    Defaults,
    IncomingEvent,
    IncomingIndicator,
    IngestResult,
    Problem,
    do_ingest,
)
from certfed.intel.validation import clean_datetime
from certfed.platform.bulk import gc_paused
from certfed.platform.errors import ActionError, Invalid
from certfed.sharing.access import Viewer

FORMATS = ("stix", "misp", "csv")
_NS = uuid.UUID("0c2b5e52-3f43-4b0e-8f4f-5a9e8c1d7a21")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


def detect_format(path: Path, head: bytes) -> str:
    """stix, misp or csv, from the file's name and first bytes."""
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return "csv"
    text = head.lstrip()[:4096].decode("utf-8", "replace")
    if text.startswith("{") and '"bundle"' in text:
        return "stix"
    if text.startswith(("{", "[")):
        return "misp" if ('"Event"' in text or '"response"' in text or '"info"' in text) else "stix"
    return "csv"


def import_file(
    ctx: Context,
    viewer: Viewer,
    path: Path,
    *,
    fmt: str | None,
    defaults: Defaults,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    data = path.read_bytes()
    return import_bytes(ctx, viewer, data, path.name, fmt=fmt, defaults=defaults,
                        skip_invalid=skip_invalid, progress=progress)  # fmt: skip


@gc_paused()
def import_bytes(
    ctx: Context,
    viewer: Viewer,
    data: bytes,
    name: str,
    *,
    fmt: str | None,
    defaults: Defaults,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Import a STIX bundle, MISP JSON or CSV (`fmt`, or detected from `name` and the
    first bytes), all or nothing unless skip_invalid; IngestError lists every problem."""
    fmt = fmt or detect_format(Path(name), data[:8192])
    if fmt not in FORMATS:
        raise Invalid(f"{fmt!r} is not one of {', '.join(FORMATS)}", "format")
    if fmt == "stix":
        from certfed.exchange.stix.importer import import_stix_bundle

        return import_stix_bundle(
            ctx, viewer, data, defaults, skip_invalid=skip_invalid, progress=progress
        )
    if fmt == "misp":
        from certfed.exchange.misp.importer import import_misp

        return import_misp(ctx, viewer, data, defaults, skip_invalid=skip_invalid,
                           progress=progress)  # fmt: skip
    events, problems = parse_csv(data, name, defaults)
    if problems and not skip_invalid:
        from certfed.intel.ingest import IngestError

        raise IngestError(problems)
    result = do_ingest(ctx, viewer, events, skip_invalid=skip_invalid, progress=progress,
                       source="import.csv")  # fmt: skip
    result.skipped[:0] = problems
    return result


def _bool(value: str, position: str, problems: list[Problem]) -> bool:
    v = value.strip().lower()
    if v in _TRUE or v == "":
        return True
    if v in _FALSE:
        return False
    problems.append(Problem(position, f"to_detect: {value!r} is not true or false"))
    return True


def parse_csv(
    data: bytes, name: str, defaults: Defaults
) -> tuple[list[IncomingEvent], list[Problem]]:
    """CSV with a header row. Required column: value. Optional: type, comment, to_detect,
    first_seen, last_seen, valid_until, uuid, and event_uuid / event_title to group rows into
    events (as certfed's own CSV export writes them). Without event_uuid, the whole file is
    one event whose uuid derives from the file's content, so re-importing it is a no-op."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"{name} is not UTF-8 text (byte {exc.start})", "file") from None
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    if "value" not in fields:
        raise Invalid(f"{name} has no 'value' column (found: {', '.join(fields) or 'none'})",
                      "file")  # fmt: skip
    reader.fieldnames = fields
    digest = hashlib.sha256(data).hexdigest()
    whole = IncomingEvent(
        title=f"Imported from {name}",
        uuid=uuid.uuid5(_NS, digest),
        tlp=defaults.tlp, pap=defaults.pap, distribution=defaults.distribution,
        sharing_group=defaults.sharing_group, published=defaults.published,
        position=name,
    )  # fmt: skip
    events: dict[uuid.UUID, IncomingEvent] = {}
    problems: list[Problem] = []
    for line, row in enumerate(reader, start=2):
        pos = f"line {line}"
        row = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            ind = IncomingIndicator(
                value=row.get("value", ""),
                type=row.get("type") or None,
                comment=row.get("comment", ""),
                to_detect=_bool(row.get("to_detect", ""), pos, problems),
                first_seen=clean_datetime(row.get("first_seen"), f"{pos}: first_seen"),
                last_seen=clean_datetime(row.get("last_seen"), f"{pos}: last_seen"),
                valid_until=clean_datetime(row.get("valid_until"), f"{pos}: valid_until"),
                uuid=uuid.UUID(row["uuid"]) if row.get("uuid") else None,
                position=pos,
            )
            key = row.get("event_uuid", "")
            event = whole
            if key:
                event_uuid = uuid.UUID(key)  # one event however its uuid is written
                event = events.get(event_uuid) or events.setdefault(event_uuid, IncomingEvent(
                    title=row.get("event_title") or f"Imported from {name}",
                    uuid=event_uuid, tlp=defaults.tlp, pap=defaults.pap,
                    distribution=defaults.distribution, sharing_group=defaults.sharing_group,
                    published=defaults.published, position=pos,
                ))  # fmt: skip
        except ValueError as exc:
            problems.append(Problem(pos, f"not a UUID: {exc}"))
            continue
        except ActionError as exc:
            problems.append(Problem(pos, exc.message))
            continue
        event.indicators.append(ind)
    out = list(events.values())
    if whole.indicators:
        out.insert(0, whole)
    if not out and not problems:
        raise Invalid(f"{name} holds no indicators", "file")
    return out, problems
