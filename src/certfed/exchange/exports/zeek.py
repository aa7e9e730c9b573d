"""A Zeek Intel framework file (load it with `redef Intel::read_files += {"…"};`):
tab-separated, a `#fields` header, `-` for an empty field.

    ipv4, ipv6 -> Intel::ADDR      cidr -> Intel::SUBNET     domain -> Intel::DOMAIN
    url -> Intel::URL (without the scheme, as Zeek's HTTP analyser writes URLs)
    email -> Intel::EMAIL          md5, sha1, sha256 -> Intel::FILE_HASH
    cve has no Intel type and is not listed.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from certfed.intel.queries import effective_tlp
from certfed.sharing.access import Viewer

from .base import ExportFormat, ExportOptions

INTEL_TYPES = {
    "ipv4": "Intel::ADDR",
    "ipv6": "Intel::ADDR",
    "cidr": "Intel::SUBNET",
    "domain": "Intel::DOMAIN",
    "url": "Intel::URL",
    "email": "Intel::EMAIL",
    "md5": "Intel::FILE_HASH",
    "sha1": "Intel::FILE_HASH",
    "sha256": "Intel::FILE_HASH",
}
HEADER = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n"


def _field(text: str) -> str:
    # Tabs and newlines would break the columns; Zeek reads a lone "-" as unset.
    text = " ".join(text.split())
    return text or "-"


def _indicator(type_name: str, value: str) -> str:
    if type_name == "url":
        return value.split("://", 1)[1]
    return value


def render(viewer: Viewer, indicators: QuerySet, options: ExportOptions) -> Iterator[bytes]:
    yield HEADER.encode()
    qs = indicators.filter(type__in=list(INTEL_TYPES)).select_related("event", "event__owner")
    lines: list[str] = []
    for ind in qs.order_by("id").iterator(chunk_size=2000):
        event = ind.event
        url = f"{options.base_url}/events/{event.uuid}/" if options.base_url else "-"
        desc = f"TLP:{effective_tlp(ind, event)} {event.title}"
        lines.append("\t".join((
            _indicator(ind.type, ind.value), INTEL_TYPES[ind.type],
            _field(f"certfed:{event.owner.short_name}"), _field(desc), _field(url),
        )) + "\n")  # fmt: skip
        if len(lines) >= 2000:
            yield "".join(lines).encode()
            lines = []
    yield "".join(lines).encode()


FORMAT = ExportFormat("zeek", "text/plain; charset=utf-8", "intel", True, lambda: render)
