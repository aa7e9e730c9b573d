"""Helpers for bulk work (imports of hundreds of thousands of objects).

`gc_paused`: Python's cyclic garbage collector walks every live container each time enough
new ones pile up. A parsed 40 MB STIX bundle is a few hundred thousand dicts and lists, so
during an import the collector runs over and over on objects that are freed by reference
counting anyway: about a third of the import's time. Imports pause it; whatever cycles
they leave are collected when it runs again afterwards.

`in_values`: `column IN (…)` for thousands of values as ONE bound parameter (a JSON array
SQLite reads with json_each, a PostgreSQL array) — one statement instead of one per
chunk of 900 placeholders, and no SQL text that grows with the input.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import orjson
from django.db import connection

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration (nesting and threads safe: it
    restarts when the last paused block ends, and only if it was running before)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def in_values(column: str, values: Sequence, *, uuids: bool = False) -> tuple[str, list]:
    """(SQL, params) for `column IN values`, with the values as one parameter. `column` is
    SQL the caller built from names it controls; the values are bound, never inlined.
    `uuids`: the values are UUID objects for a UUIDField column (which SQLite stores as 32
    hex digits, orjson writes with hyphens)."""
    if connection.vendor == "sqlite":
        param = orjson.dumps(list(values)).decode()
        item = "replace(value, '-', '')" if uuids else "value"
        return f"{column} IN (SELECT {item} FROM json_each(%s))", [param]  # noqa: S608
    return f"{column} = ANY(%s)", [list(values)]
