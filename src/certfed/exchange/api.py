"""REST handlers of the exchange app: GET /api/v1/export/{format} for every export format,
with the event list's filters, streamed."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from ninja import Query, Router, Schema

from certfed.exchange.exports import REGISTRY, ExportOptions
from certfed.exchange.exports.base import (
    audit_export,
    detection_indicators,
    event_indicators,
)
from certfed.intel.queries import EventFilters, access_event_list
from certfed.intel.schemas import EventFilterQuery
from certfed.kernel.indicators import TYPES
from certfed.platform.api import MEMBER_OR_PUBLIC
from certfed.platform.errors import Invalid, NotFound
from certfed.platform.request import viewer

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
