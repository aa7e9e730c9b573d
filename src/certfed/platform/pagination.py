"""Limit/offset pages with absolute next/previous links, counted through the gate."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from ninja import Schema

from certfed.platform.errors import Invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 10_000_000


class Page(Schema):
    """The shape of every paginated answer; subclasses add `results`."""

    count: int
    limit: int
    offset: int
    next: str | None
    previous: str | None


class PageQuery(Schema):
    limit: int | None = None
    offset: int | None = None


def page_bounds(limit: int | None, offset: int | None) -> tuple[int, int]:
    limit = DEFAULT_LIMIT if limit is None else limit
    offset = 0 if offset is None else offset
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"{limit} is outside 1..{MAX_LIMIT}", "limit")
    if not 0 <= offset <= MAX_OFFSET:
        raise Invalid(f"{offset} is outside 0..{MAX_OFFSET}", "offset")
    return limit, offset


def page(request, qs, limit: int | None, offset: int | None, render) -> dict[str, Any]:
    limit, offset = page_bounds(limit, offset)
    count = qs.count()
    rows = list(qs[offset : offset + limit])

    def link(new_offset: int) -> str:
        params = request.GET.copy()
        params["limit"] = str(limit)
        params["offset"] = str(new_offset)
        return request.build_absolute_uri(request.path) + "?" + urlencode(sorted(params.items()))

    return {
        "count": count,
        "limit": limit,
        "offset": offset,
        "next": link(offset + limit) if offset + limit < count else None,
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
        "results": [render(r) for r in rows],
    }
