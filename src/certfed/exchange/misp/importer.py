"""Importing MISP event JSON (as MISP and PyMISP write it) through the bulk ingest: one
transaction, idempotent by event uuid + MISP timestamp, every problem reported by position."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from django.db import transaction

from certfed.audit.log import Context
from certfed.intel.ingest import (
    Defaults,
    IngestError,
    IngestResult,
    Problem,
    do_ingest,
)
from certfed.kernel import misp
from certfed.platform.bulk import gc_paused
from certfed.platform.errors import Invalid
from certfed.sharing.access import Viewer, access_sharing_groups


class _RollBack(Exception):
    pass


def _load(data: bytes | str | dict | list) -> Any:
    if isinstance(data, bytes | bytearray | memoryview | str):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise Invalid(f"not JSON: {exc}", "file") from None
    return data


_STEP = re.compile(r"(\w+)\[(\d+)\]")


def _sorted(problems: list[Problem]) -> list[Problem]:
    # In document order: Event[2].Attribute[10] after Event[2].Attribute[9], an event's
    # Attributes before its Objects (as MISP writes them).
    def key(p: Problem) -> tuple:
        return tuple((name, int(n)) for name, n in _STEP.findall(p.position)), p.position

    return sorted(problems, key=key)


@gc_paused()
def import_misp(
    ctx: Context,
    viewer: Viewer,
    data: bytes | dict | list,
    defaults: Defaults,
    *,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Import one MISP event or many ({"Event": …}, a bare event, a list, {"response": […]}).

    Attributes inside Objects are imported too. An attribute type certfed cannot hold (text,
    filename, regkey…) is a problem like a bad value: reported by position with nothing
    written, or, with skip_invalid, listed in the result's `skipped`."""
    document = _load(data)
    known = frozenset(
        str(u).lower() for u in access_sharing_groups(viewer).values_list("uuid", flat=True)
    )
    try:
        parsed, found = misp.parse_document(document, defaults, known)
    except misp.MispFormatError as exc:
        raise Invalid(str(exc), "file") from None
    problems = [Problem(pos, reason) for pos, reason in found]
    events = parsed

    if problems and not skip_invalid:
        # Report the values the ingest would refuse too, so one attempt shows everything:
        # run it in a savepoint that is always rolled back.
        try:
            with transaction.atomic():
                do_ingest(ctx, viewer, events, source="import.misp")
                raise _RollBack
        except IngestError as exc:
            problems.extend(exc.problems)
        except _RollBack:
            pass
        raise IngestError(_sorted(problems))

    result = do_ingest(
        ctx, viewer, events, skip_invalid=skip_invalid, progress=progress, source="import.misp"
    )
    result.skipped = _sorted(problems + result.skipped)
    return result
