"""REST handlers of the exchange app: GET /api/v1/export/{format} for every export format,
with the event list's filters, streamed; POST /api/v1/import for a STIX bundle, MISP JSON
or CSV file (what `certfed import` does, for machines)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from django.conf import settings
from django.http import StreamingHttpResponse
from ninja import Query, Router, Schema
from ninja.responses import Status

from certfed.exchange.exports import REGISTRY, ExportOptions
from certfed.exchange.exports.base import (
    audit_export,
    detection_indicators,
    event_indicators,
)
from certfed.exchange.importer import detect_format, import_bytes
from certfed.intel.ingest import Defaults, IngestError
from certfed.intel.queries import EventFilters, access_event_list
from certfed.intel.schemas import EventFilterQuery
from certfed.kernel.indicators import TYPES
from certfed.kernel.labels import LabelError
from certfed.platform.api import MEMBER_OR_PUBLIC
from certfed.platform.errors import ActionError, Invalid, NotFound
from certfed.platform.middleware import NUL_MESSAGE, has_nul
from certfed.platform.request import context, viewer, writer

router = Router(tags=["exchange"])


class ExportQuery(EventFilterQuery):
    include_expired: bool = False
    include_decayed: bool = False
    include_warninglisted: bool = False
    include_non_detect: bool = False
    type: str | None = None
    sid_base: int | None = None


class Problem(Schema):
    detail: object


ERRORS = {400: Problem, 401: Problem, 404: Problem, 422: Problem, 501: Problem}
_FILTERS = set(EventFilters.__dataclass_fields__)


def _types(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    names = tuple(dict.fromkeys(t.strip().lower() for t in value.split(",") if t.strip()))
    unknown = [t for t in names if t not in TYPES]
    if unknown:
        raise Invalid(f"{unknown[0]!r} is not one of {', '.join(sorted(TYPES))}", "type")
    return names


@router.get("/export/{format}", response=ERRORS, auth=MEMBER_OR_PUBLIC)
def export(request, format: str, params: Query[ExportQuery]):  # noqa: A002 - the path's name
    """Events you may see, in one of: stix (STIX 2.1 bundle), misp (a list of MISP events),
    csv, text (one value per line; `type=domain` for a DNS blocklist), suricata (rules), zeek
    (Intel framework file). Takes the event list's filters. csv, text, suricata and zeek leave
    out indicators that are expired, decayed, on a warninglist or not for detection, unless
    `include_expired`, `include_decayed`, `include_warninglisted`, `include_non_detect`."""
    fmt = REGISTRY.get(format.lower())
    if fmt is None:
        raise NotFound(f"no export format {format!r}: use one of {', '.join(sorted(REGISTRY))}")
    v = viewer(request)
    data = params.dict()
    events = access_event_list(v, EventFilters(**{k: data[k] for k in _FILTERS}))
    options = ExportOptions(
        include_expired=params.include_expired,
        include_decayed=params.include_decayed,
        include_warninglisted=params.include_warninglisted,
        include_non_detect=params.include_non_detect,
        types=_types(params.type),
        sid_base=params.sid_base,
        base_url=request.build_absolute_uri("/").rstrip("/"),
    )
    # Everything that can fail does so here, before the response starts streaming.
    if fmt.check is not None:
        fmt.check(options)
    render = fmt.load()
    if fmt.detection:
        subject = detection_indicators(v, events, options)
        audit_export(request, v, events, subject, what=f"export:{fmt.name}")
    else:
        subject = events
        audit_export(request, v, events, event_indicators(v, events), what=f"export:{fmt.name}")
    response = StreamingHttpResponse(render(v, subject, options), content_type=fmt.content_type)
    response["Content-Disposition"] = f'inline; filename="certfed.{fmt.extension}"'
    return response


# -- import -----------------------------------------------------------------------------------

_SHOWN = 1000  # problems and event uuids listed in an answer


class ImportQuery(Schema):
    format: Literal["stix", "misp", "csv"] | None = None
    tlp: str = "AMBER"
    pap: str = "AMBER"
    distribution: str = "organisation"
    sharing_group: str | None = None
    draft: bool = False
    skip_invalid: bool = False


class ImportProblem(Schema):
    position: str
    reason: str


class ImportOut(Schema):
    events_created: int
    events_updated: int
    events_unchanged: int
    indicators_written: int
    events: list[str]  # the first 1,000 created or updated
    skipped: list[ImportProblem]  # the first 1,000


class ImportRefused(Schema):
    """The file was refused: `problems` lists its bad objects (the first 1,000) when that is
    why; a bad parameter names its `field` instead."""

    detail: str
    field: str | None = None
    problems: list[ImportProblem] = []


_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file itself, as the body (with a Content-Length).",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


class _TooLarge(Invalid):
    status = 413


class _NoLength(Invalid):
    status = 411


def _problems(items) -> list[dict]:
    return [{"position": p.position, "reason": p.reason} for p in items[:_SHOWN]]


def _body(request) -> bytes:
    limit = settings.CERTFED_IMPORT_MAX_BYTES
    length = request.META.get("CONTENT_LENGTH")
    if not length:  # chunked: Django reads such a body as empty
        raise _NoLength("send the file with a Content-Length header", "body")
    try:
        declared = int(length)
    except ValueError:
        raise Invalid(f"Content-Length {length!r} is not a number", "body") from None
    if declared > limit:
        raise _TooLarge(f"the file is larger than the import limit of {limit:,} bytes")
    # Read from the stream: Django's whole-body limit is for forms, not for feeds.
    body = request.read(limit + 1)
    if len(body) > limit:
        raise _TooLarge(f"the file is larger than the import limit of {limit:,} bytes")
    if not body.strip():
        raise Invalid("send the file as the request body", "body")
    return body


@router.post(
    "/import",
    response={200: ImportOut, 411: Problem, 413: Problem, 422: ImportRefused, **{
        k: v for k, v in ERRORS.items() if k not in (411, 413, 422)}, 403: Problem},
    openapi_extra=_IMPORT_BODY,
)  # fmt: skip
def import_file(request, params: Query[ImportQuery]):
    """Import a STIX 2.1 bundle, MISP event JSON (one event, a list, or restSearch's
    response) or CSV sent as the body, into your organisation, in one transaction and
    idempotently (importing the same file again changes nothing). `format` is detected
    when omitted. The labels are for objects whose source says nothing. A bad object is
    named by position and nothing is written (422, with every problem), unless
    `skip_invalid`: then the good part is written and the rest listed in `skipped`.
    Needs a write key; the file may be up to CERTFED_IMPORT_MAX_BYTES (64 MiB)."""
    v = writer(request)
    try:
        defaults = Defaults.checked(params.tlp, params.pap, params.distribution,
                                    params.sharing_group, published=not params.draft)  # fmt: skip
    except LabelError as exc:
        raise Invalid(exc.message, exc.field) from None
    body = _body(request)
    fmt = params.format
    if fmt is None:
        csv_type = "csv" in request.META.get("CONTENT_TYPE", "").lower()
        fmt = "csv" if csv_type else detect_format(Path("upload"), body[:8192])
    if has_nul(body, json_text=fmt != "csv"):
        raise ActionError(NUL_MESSAGE)  # 400, as for every other JSON body
    try:
        result = import_bytes(context(request), v, body, "the uploaded file", fmt=fmt,
                              defaults=defaults, skip_invalid=params.skip_invalid)  # fmt: skip
    except IngestError as exc:
        return Status(422, {"detail": str(exc), "problems": _problems(exc.problems)})
    return {
        "events_created": result.events_created,
        "events_updated": result.events_updated,
        "events_unchanged": result.events_unchanged,
        "indicators_written": result.indicators_written,
        "events": [str(u) for u in result.event_uuids[:_SHOWN]],
        "skipped": _problems(result.skipped),
    }
