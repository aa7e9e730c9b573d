"""Plain text: one value per line and nothing else, for firewall address lists and DNS
blocklists (`?type=domain`, `?type=ipv4,cidr`). Each value appears once."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from certfed.sharing.access import Viewer

from .base import ExportFormat, ExportOptions


def render(viewer: Viewer, indicators: QuerySet, options: ExportOptions) -> Iterator[bytes]:
    values = indicators.order_by("type", "value").values_list("type", "value").distinct()
    lines: list[str] = []
    for _, value in values.iterator(chunk_size=5000):
        lines.append(value + "\n")
        if len(lines) >= 5000:
            yield "".join(lines).encode()
            lines = []
    yield "".join(lines).encode()


FORMAT = ExportFormat("text", "text/plain; charset=utf-8", "txt", True, lambda: render)
