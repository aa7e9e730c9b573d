"""CSV: one indicator per row, with its event, for spreadsheets and SIEM lookups. The
columns match what `certfed import` reads back (value, type, comment, to_detect, uuid,
event_uuid, event_title, first_seen, last_seen, valid_until)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.db.models import QuerySet

from certfed.intel.queries import effective_tlp
from certfed.sharing.access import Viewer

from .base import ExportFormat, ExportOptions

COLUMNS = (
    "uuid", "event_uuid", "type", "value", "comment", "to_detect", "tlp", "first_seen",
    "last_seen", "valid_until", "event_title", "owner",
)  # fmt: skip
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    # Comments and titles come from other organisations: a leading =, +, - or @ would run as
    # a formula when a defender opens the file in a spreadsheet (OWASP CSV injection).
    return "'" + value if value.startswith(_FORMULA) else value


def _when(value) -> str:
    return value.isoformat() if value else ""


def render(viewer: Viewer, indicators: QuerySet, options: ExportOptions) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    qs = indicators.select_related("event", "event__owner").order_by("event_id", "id")
    for ind in qs.iterator(chunk_size=2000):
        event = ind.event
        writer.writerow((
            ind.uuid, event.uuid, ind.type, ind.value, _text(ind.comment),
            "true" if ind.to_detect else "false", effective_tlp(ind, event),
            _when(ind.first_seen), _when(ind.last_seen), _when(ind.valid_until),
            _text(event.title), event.owner.short_name,
        ))  # fmt: skip
        if buf.tell() > 65536:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


FORMAT = ExportFormat("csv", "text/csv; charset=utf-8", "csv", True, lambda: render)
