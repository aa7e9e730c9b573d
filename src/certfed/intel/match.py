"""POST /api/v1/match: which of these observables are known, and in which events the caller
may see — millions per request, streamed in and out.

The matching index (kernel.matching.MatchIndex) is built once per process from the
database and refreshed incrementally before each request from the value index's write
sequence (intel.correlation: every write stamps the values it touched). It holds every
indicator; the sharing gate is applied per request: the caller's visible events come from
one query through sharing.access, and an indicator that narrows its event's audience is
checked with the gate's own rule (kernel.labels.audience_includes).

The request body is spooled (memory, then disk) before the answer starts: clients that
send the whole body before reading (most HTTP libraries) would otherwise deadlock against
a server writing answers they are not yet reading. The answer is then streamed.
"""

from __future__ import annotations

import codecs
import tempfile
import threading
from collections.abc import Iterator

import orjson
from django.db import connection
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from certfed.audit.log import context_for, record
from certfed.intel.correlation import index_state
from certfed.intel.models import Indicator, ValueStat
from certfed.kernel.indicators import TYPES
from certfed.kernel.labels import Labels, audience_includes, stricter_tlp
from certfed.kernel.matching import (
    ADDRESS_CODES,
    TYPE_NAMES,
    MatchIndex,
    needs_normalising,
)
from certfed.sharing.access import Viewer, access_events, community_categories, viewer_for

_READ = 1 << 20
_SPOOL_IN_MEMORY = 32 << 20
_OUT_CHUNK = 256 << 10
_REBUILD_SHARE = 0.3  # rebuild rather than patch when this share of the index changes
_RESTRICTED = ("RED", "AMBER+STRICT")
_COLUMNS = ("id", "uuid", "event_id", "type", "value", "tlp", "distribution", "sharing_group_id")


# -- the process-wide index -------------------------------------------------------------------


class _Holder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: MatchIndex | None = None
        self.state: tuple[int, int] | None = None


_holder = _Holder()


def _rows(values: list[str] | None = None) -> Iterator[tuple]:
    """Raw rows of every indicator (or of those holding `values`): a cursor, not the ORM,
    because a million model rows would cost the first request many seconds and hundreds of
    megabytes of garbage. Only the index reads all rows; requests read through the gate."""
    table = connection.ops.quote_name(Indicator._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    sql = f"SELECT {columns} FROM {table}"  # noqa: S608 - names are constants
    params: list[str] = []
    if values is not None:
        sql += f" WHERE value IN ({', '.join(['%s'] * len(values))})"
        params = values
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(20_000):
            yield from rows


def _build() -> MatchIndex:
    index = MatchIndex()
    index.load(_rows())
    return index


def current_index() -> MatchIndex:
    """The index, brought up to date with the database (one cheap query when nothing
    changed; the changed values' postings when something did)."""
    state = index_state()
    with _holder.lock:
        index, seen = _holder.index, _holder.state
        if index is not None and seen == state:
            return index
        if index is None or seen is None or state[0] <= seen[0]:
            # Not a later state of the same history (a rolled-back sequence number reused):
            # start again.
            index = _build()
        else:
            changed = list(
                ValueStat.objects.filter(seq__gt=seen[0]).values_list("value", flat=True)
            )
            if len(changed) > _REBUILD_SHARE * max(len(index), 1) or index.garbage > 0.5:
                index = _build()
            else:
                for i in range(0, len(changed), 2000):
                    chunk = changed[i : i + 2000]
                    index.replace(chunk, ())
                    index.load(_rows(chunk))
        _holder.index, _holder.state = index, state
        return index


def warm() -> None:
    """Build the index now (a server warming up, a benchmark's first request)."""
    current_index()


def reset() -> None:
    """Forget the index (tests roll the database back under it)."""
    with _holder.lock:
        _holder.index = _holder.state = None


# -- the gate, per request --------------------------------------------------------------------


class _Visible:
    """The caller's visible events (one query) and the gate's rule for indicators that
    narrow their event's audience."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        # event id -> (uuid, tlp, owner id, another organisation's RED/AMBER+STRICT, tlp),
        # uuid and the last tlp as bytes for the answer lines
        self.events: dict[int, tuple[bytes, str, int, bool, bytes]] = {
            pk: (
                str(uuid).encode(),
                tlp,
                owner,
                owner != viewer.org_id and tlp in _RESTRICTED,
                tlp.encode(),
            )
            for pk, uuid, tlp, owner in access_events(viewer)
            .order_by()
            .values_list("id", "uuid", "tlp", "owner_id")
        }
        self._community = community_categories()
        self._narrowed: dict[int, bool] = {}

    def allows(self, slot: int, narrowing, owner: int) -> bool:
        known = self._narrowed.get(slot)
        if known is None:
            v = self.viewer
            known = not narrowing.distribution or audience_includes(
                Labels("CLEAR", "CLEAR", narrowing.distribution, narrowing.sharing_group),
                owner=owner,
                viewer_org=v.org_id,
                viewer_category=v.category,
                viewer_active=v.active,
                viewer_groups=v.groups,
                community=self._community,
            )
            self._narrowed[slot] = known
        return known


# -- the request ------------------------------------------------------------------------------


def _problem(detail: str, status: int, **extra) -> JsonResponse:
    response = JsonResponse({"detail": detail, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="certfed"'
    return response


def _authenticate(request):
    """The caller, by API key or session exactly as the REST API authenticates (and audits)
    it: a user, None when neither works, or a 403 response for a session without its CSRF
    token (as the REST API answers)."""
    from ninja.errors import HttpError

    from certfed.platform.api import api_key_auth, session_auth

    if request.META.get("HTTP_AUTHORIZATION"):
        return api_key_auth(request)
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return None  # no credentials at all: 401, not a CSRF complaint
    try:
        return session_auth(request)
    except HttpError as exc:
        return _problem(str(exc), exc.status_code)


def _spool(request, ndjson: bool):
    """Copy the body to a spool, checking it is UTF-8 (and, for NDJSON, that each line is
    an object with a string "value" and a known "type"). Returns (spool, error)."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)
    decoder = codecs.getincrementaldecoder("utf-8")()
    line_no, carry, newlines = 0, "", 0
    while True:
        chunk = request.read(_READ)
        final = not chunk
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            return spool, f"line {newlines + chunk[: exc.start].count(10) + 1}: not valid UTF-8"
        newlines += chunk.count(10)
        if ndjson:
            lines = (carry + text).split("\n")
            carry = "" if final else lines.pop()
            for line in lines:
                line_no += 1
                if line.strip() and (problem := _check_json_line(line)):
                    return spool, f"line {line_no}: {problem}"
        if final:
            break
        spool.write(chunk)
    spool.seek(0)
    return spool, None


def _check_json_line(line: str) -> str | None:
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError:
        return "not valid JSON"
    if not isinstance(item, dict) or not isinstance(item.get("value"), str):
        return 'expected an object with a string "value"'
    kind = item.get("type")
    if kind is not None and kind not in TYPES:
        return f"type {kind!r} is not one of {', '.join(sorted(TYPES))}"
    return None


def _texts(spool) -> Iterator[str]:
    """The spooled body as text, in pieces that end at line boundaries."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    carry = ""
    while True:
        chunk = spool.read(_READ)
        text = carry + decoder.decode(chunk, final=not chunk)
        if not chunk:
            if text:
                yield text
            return
        cut = text.rfind("\n") + 1
        carry = text[cut:]
        if cut:
            yield text[:cut]


@csrf_exempt
def match_view(request) -> HttpResponse:
    """Observables in, known ones out (NDJSON), then a summary line."""
    if request.method != "POST":
        response = _problem("method not allowed (allowed: POST)", 405)
        response["Allow"] = "POST"
        return response
    user = _authenticate(request)
    if user is None:
        return _problem("authentication required: send Authorization: Bearer <key>", 401)
    if isinstance(user, HttpResponse):
        return user
    viewer = viewer_for(user)
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type not in ("", "text/plain", "application/x-ndjson", "application/jsonl"):
        return _problem(
            f"send text/plain (one observable a line) or application/x-ndjson, "
            f"not {content_type}", 415,
        )  # fmt: skip
    ndjson = content_type in ("application/x-ndjson", "application/jsonl")
    spool, error = _spool(request, ndjson)
    if error:
        spool.close()
        return _problem(error, 422, field=error.split(":", 1)[0])
    index = current_index()
    visible = _Visible(viewer)
    ctx = context_for(request, "api" if getattr(request, "api_key", None) else "web")
    response = StreamingHttpResponse(
        _answer(index, visible, spool, ndjson, ctx), content_type="application/x-ndjson"
    )
    response["Cache-Control"] = "no-store"
    return response


def openapi() -> dict:
    """The OpenAPI description of POST /api/v1/match (a plain view: see platform.api)."""
    problem = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    line = {
        "type": "object",
        "properties": {
            "value": {"type": "string"},
            "type": {"type": "string", "enum": sorted(TYPES)},
        },
        "required": ["value"],
    }
    return {
        "post": {
            "operationId": "certfed_intel_match",
            "summary": "Batch match observables",
            "description": (
                "Send observables, one a line (text/plain), or JSON lines "
                '({"value": …, "type": …}; application/x-ndjson) — millions in one request, '
                "streamed. The answer streams back as JSON lines: one per observable that "
                "matches an indicator you may see (the indicators and their events), then a "
                'summary line {"summary": {"observables": n, "matched": m}}. Values are '
                "normalised (refanged, canonical case) before matching; addresses also "
                "match the networks that contain them."
            ),
            "tags": ["intel"],
            "requestBody": {
                "required": True,
                "content": {
                    "text/plain": {"schema": {"type": "string"}},
                    "application/x-ndjson": {"schema": line},
                },
            },
            "responses": {
                "200": {
                    "description": "Matches as JSON lines, then a summary line",
                    "content": {"application/x-ndjson": {"schema": {"type": "object"}}},
                },
                "401": {"description": "No or a bad API key", "content": problem},
                "403": {"description": "A session without its CSRF token", "content": problem},
                "415": {"description": "Neither text/plain nor JSON lines", "content": problem},
                "422": {"description": "A line is not valid (named)", "content": problem},
            },
            "security": [{"ApiKeyAuth": []}, {"MemberSession": []}],
        }
    }


_IND = b'{"uuid":"%s","event":"%s","type":"%s","value":%s,"tlp":"%s"}'
_LINE = b'{"value":%s,"type":"%s","indicators":[%s],"events":["%s"]}\n'
_TYPE_BYTES = tuple(t.encode() for t in TYPE_NAMES)


def _answer(index: MatchIndex, visible: _Visible, spool, ndjson: bool, ctx) -> Iterator[bytes]:
    """The answer lines. The inner loop is written for speed: a known observable as given
    costs one dict probe; an unknown canonical one a probe and a regex search; only the
    rest go through the kernel's normalisation (index.lookup)."""
    exact_get = index.exact.get
    lookup = index.lookup
    types, uuids, event_of, narrowing = index.types, index.uuids, index.events, index.narrowing
    visible_get = visible.events.get
    networks = index.has_networks
    network_value = index.network_value
    own_org = visible.viewer.org_id
    dumps = orjson.dumps
    restricted: set[bytes] = set()
    # (event id, type) -> the whole answer line for a value held by one indicator of that
    # event and type, the most common hit: formatting it is then a single operation.
    # b"" when the caller may not see the event.
    singles: dict[int, bytes] = {}

    def single(event_id: int, code: int) -> bytes:
        ev = visible_get(event_id)
        if ev is None:
            return b""
        if ev[3]:
            restricted.add(ev[0])
        kind = _TYPE_BYTES[code]
        return (
            b'{"value":%s,"type":"' + kind + b'","indicators":[{"uuid":"%s","event":"' + ev[0]
            + b'","type":"' + kind + b'","value":%s,"tlp":"' + ev[4] + b'"}],"events":["'
            + ev[0] + b'"]}\n'
        )  # fmt: skip

    out: list[bytes] = []
    size = observables = matched = 0
    try:
        for text in _texts(spool):
            for line in text.split("\n"):
                hint = None
                if ndjson:
                    if not line.strip():
                        continue
                    item = orjson.loads(line)
                    line, hint = item["value"], item.get("type")
                elif not line or line == "\r":
                    continue
                elif line[-1] == "\r":
                    line = line[:-1]
                observables += 1
                found = exact_get(line) if hint is None else None
                if (
                    found.__class__ is int
                    and not (networks and types[found] in ADDRESS_CODES)
                    and not (narrowing and found in narrowing)
                ):
                    key = event_of[found] << 8 | types[found]
                    template = singles.get(key)
                    if template is None:
                        template = singles[key] = single(event_of[found], types[found])
                    if template:
                        value_json = dumps(line)
                        data = template % (
                            value_json,
                            uuids[36 * found : 36 * found + 36],
                            value_json,
                        )
                        matched += 1
                        out.append(data)
                        size += len(data)
                        if size >= _OUT_CHUNK:
                            yield b"".join(out)
                            out, size = [], 0
                    continue
                if found is not None:
                    slots = (found,) if found.__class__ is int else found
                    value, code = line, types[slots[0]]
                    if networks and code in ADDRESS_CODES:
                        hit = lookup(line)
                        slots = hit.exact + hit.containing
                else:
                    if not (
                        hint is not None
                        or needs_normalising(line)
                        or (networks and line[:1].isdigit())
                    ):
                        continue  # canonical as given and unknown (no network holds it)
                    hit = lookup(line, hint)
                    if hit is None:
                        continue
                    slots, value, code = hit.exact + hit.containing, hit.value, None
                parts: list[bytes] = []
                events: list[bytes] = []
                value_json = dumps(value)
                for slot in slots:
                    ev = visible_get(event_of[slot])
                    if ev is None:
                        continue
                    tlp, flagged = ev[4], ev[3]
                    if narrowing:
                        own = narrowing.get(slot)
                        if own is not None:
                            if not visible.allows(slot, own, ev[2]):
                                continue
                            if own.tlp:
                                text_tlp = stricter_tlp(ev[1], own.tlp)
                                tlp = text_tlp.encode()
                                flagged = ev[2] != own_org and text_tlp in _RESTRICTED
                    stored = network_value(slot) if networks else None
                    parts.append(_IND % (
                        uuids[36 * slot : 36 * slot + 36], ev[0], _TYPE_BYTES[types[slot]],
                        value_json if stored is None else dumps(stored), tlp,
                    ))  # fmt: skip
                    if ev[0] not in events:
                        events.append(ev[0])
                    if flagged:
                        restricted.add(ev[0])
                if not parts:
                    continue
                matched += 1
                kind = _TYPE_BYTES[code] if code is not None else hit.type.encode()
                shown = value_json if line is value else dumps(line.strip())
                data = _LINE % (shown, kind, b",".join(parts), b'","'.join(events))
                out.append(data)
                size += len(data)
                if size >= _OUT_CHUNK:
                    yield b"".join(out)
                    out, size = [], 0
        summary = {"summary": {"observables": observables, "matched": matched}}
        out.append(dumps(summary, option=orjson.OPT_APPEND_NEWLINE))
        yield b"".join(out)
    finally:
        spool.close()
        # Every batch is recorded; reading another organisation's RED or AMBER+STRICT
        # content is always audited, with the events read (also when the client leaves
        # before the end).
        record(
            ctx, "indicator.match", object_type="match",
            detail={"observables": observables, "matched": matched,
                    "restricted": sorted(r.decode() for r in restricted)[:1000]},
        )  # fmt: skip
