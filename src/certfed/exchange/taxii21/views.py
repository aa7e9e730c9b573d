"""TAXII 2.1 server (OASIS TAXII 2.1, sections 4 and 5): discovery, one API root, its
collections (sharing.collections: one per audience the caller reads), objects, manifests,
versions and add-object statuses. Thin handlers: the listing is pages.Listing, the import
exchange.stix.importer, the gate sharing.access.

Plain Django views rather than ninja: TAXII's media types, negotiation and error shapes
are precise, and none of it needs a schema layer.
"""

from __future__ import annotations

import hashlib
import uuid
from functools import wraps

import orjson
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from certfed.audit.log import record
from certfed.exchange.models import TaxiiStatus
from certfed.exchange.stix.importer import import_stix_bundle
from certfed.exchange.taxii21 import media
from certfed.exchange.taxii21.auth import CHALLENGE, BadCredentials, Caller, caller_for
from certfed.exchange.taxii21.pages import (
    BadRequest,
    Cursor,
    Listing,
    Page,
    parse_filters,
    parse_limit,
)
from certfed.intel.ingest import Defaults, IngestError
from certfed.kernel import stix21
from certfed.platform.bulk import gc_paused
from certfed.platform.errors import ActionError
from certfed.sharing.access import access_sharing_groups
from certfed.sharing.collections import Collection, collection_for, collections_for

API_ROOT = "/taxii2/api/"
MAX_CONTENT_LENGTH = 64 * 1024 * 1024
_RESTRICTED = ("RED", "AMBER+STRICT")
_NS = uuid.UUID("2f0c7a7e-0f3e-4d7b-bb1e-6a3c9d8e5f21")


def taxii(methods: tuple[str, ...] = ("GET",), *, stix: bool = False):
    """Method check, authentication, content negotiation and error mapping for a view."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return media.error(405, f"use {', '.join(methods)}",
                                   {"Allow": ", ".join(methods)})  # fmt: skip
            kind = media.negotiate(request, stix=stix)
            if kind is None:
                return media.error(406, f"this resource is {media.TAXII}"
                                   + (f" or {media.STIX}" if stix else ""))  # fmt: skip
            try:
                caller = caller_for(request)
            except BadCredentials as exc:
                return media.error(401, str(exc), {"WWW-Authenticate": CHALLENGE})
            try:
                return view(request, caller, kind, *args, **kwargs)
            except BadRequest as exc:
                return media.error(400, str(exc))

        return wrapper

    return decorate


def _collection_json(c: Collection, caller: Caller) -> dict:
    return {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "can_read": True,
        "can_write": bool(c.can_write and caller.may_write),
        "media_types": [media.STIX],
    }


def _collection(caller: Caller, collection_id: str) -> Collection | None:
    return collection_for(caller.viewer, collection_id)


@taxii()
def discovery(request, caller: Caller, kind: str):
    root = request.build_absolute_uri(API_ROOT)
    return media.respond({
        "title": "certfed TAXII 2.1",
        "description": "Threat intelligence of the federation, as each caller may see it.",
        "default": root,
        "api_roots": [root],
    }, media_type=kind)  # fmt: skip


@taxii()
def api_root(request, caller: Caller, kind: str):
    return media.respond({
        "title": "certfed",
        "description": "One collection per audience you can read: your organisation, each of "
        "its sharing groups, the community, the federation, and the public.",
        "versions": [media.TAXII],
        "max_content_length": MAX_CONTENT_LENGTH,
    }, media_type=kind)  # fmt: skip


@taxii()
def collections(request, caller: Caller, kind: str):
    found = [_collection_json(c, caller) for c in collections_for(caller.viewer)]
    return media.respond({"collections": found} if found else {}, media_type=kind)


@taxii()
def collection(request, caller: Caller, kind: str, collection_id: str):
    c = _collection(caller, collection_id)
    if c is None:
        return media.not_found()
    return media.respond(_collection_json(c, caller), media_type=kind)


def _page(request, caller: Caller, c: Collection, filters=None) -> tuple[Listing, Page]:
    listing = Listing(caller.viewer, c, filters or parse_filters(request.GET))
    page = listing.page(parse_limit(request.GET.get("limit")),
                        Cursor.decode(request.GET.get("next")))  # fmt: skip
    _audit(caller, c, page)
    return listing, page


def _headers(page: Page) -> dict:
    if not page.entries:
        return {}
    return {
        "X-TAXII-Date-Added-First": stix21.timestamp_us(page.entries[0].date_added),
        "X-TAXII-Date-Added-Last": stix21.timestamp_us(page.entries[-1].date_added),
    }


def _envelope(listing: Listing, page: Page) -> bytes:
    if not page.entries:
        return b"{}"
    head = {"more": page.more}
    if page.more:
        head["next"] = page.next
    parts = b",".join(listing.objects(page))
    return orjson.dumps(head)[:-1] + b',"objects":[' + parts + b"]}"


def _audit(caller: Caller, c: Collection, page: Page) -> None:
    v = caller.viewer
    if v.anonymous:
        return
    restricted = [
        e.id
        for e in page.entries
        if e.owner_id is not None and e.owner_id != v.org_id and e.tlp in _RESTRICTED
    ]
    if restricted:
        record(caller.ctx, "taxii.read", object_type="collection", object_id=c.id,
               detail={"restricted": restricted[:100], "count": len(restricted)})  # fmt: skip


@taxii(("GET", "POST"), stix=True)
def objects(request, caller: Caller, kind: str, collection_id: str):
    c = _collection(caller, collection_id)
    if c is None:
        return media.not_found()
    if request.method == "POST":
        return _add_objects(request, caller, c)
    listing, page = _page(request, caller, c)
    return media.respond(_envelope(listing, page), media_type=kind, headers=_headers(page))


def _object_page(request, caller: Caller, collection_id: str, object_id: str):
    """(listing, page) of one object's entries, or the 404 when the collection or the
    object is not there for this caller."""
    c = _collection(caller, collection_id)
    if c is None:
        return media.not_found()
    filters = parse_filters(request.GET)
    filters.ids = frozenset({object_id})
    listing, page = _page(request, caller, c, filters)
    if not page.entries and not request.GET.get("next"):
        return media.not_found("object")
    return listing, page


@taxii(stix=True)
def object_by_id(request, caller: Caller, kind: str, collection_id: str, object_id: str):
    found = _object_page(request, caller, collection_id, object_id)
    if isinstance(found, HttpResponse):
        return found
    listing, page = found
    return media.respond(_envelope(listing, page), media_type=kind, headers=_headers(page))


@taxii()
def versions(request, caller: Caller, kind: str, collection_id: str, object_id: str):
    found = _object_page(request, caller, collection_id, object_id)
    if isinstance(found, HttpResponse):
        return found
    _, page = found
    body = {"more": page.more, "versions": [e.version for e in page.entries]}
    if page.more:
        body["next"] = page.next
    return media.respond(body, media_type=kind, headers=_headers(page))


@taxii()
def manifest(request, caller: Caller, kind: str, collection_id: str):
    c = _collection(caller, collection_id)
    if c is None:
        return media.not_found()
    _, page = _page(request, caller, c)
    if not page.entries:
        return media.respond({}, media_type=kind)
    body = {"more": page.more}
    if page.more:
        body["next"] = page.next
    body["objects"] = [
        {"id": e.id, "date_added": stix21.timestamp_us(e.date_added), "version": e.version,
         "media_type": media.STIX}
        for e in page.entries
    ]  # fmt: skip
    return media.respond(body, media_type=kind, headers=_headers(page))


def _add_objects(request, caller: Caller, c: Collection):
    if caller.viewer.anonymous:
        return media.error(401, "adding objects needs an API key", {"WWW-Authenticate": CHALLENGE})
    if caller.key_scope != "write":
        return media.error(403, "this API key is read-only (scope 'read')")
    if not (caller.viewer.can_write and c.can_write):
        return media.error(403, "your role may not add objects to this collection")
    if not media.content_type_ok(request):
        return media.error(415, f"send the objects as {media.TAXII}")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_CONTENT_LENGTH:
        return media.error(413, f"the limit is {MAX_CONTENT_LENGTH} bytes")
    body = request.read(MAX_CONTENT_LENGTH + 1)  # the stream: no whole-body size setting
    if len(body) > MAX_CONTENT_LENGTH:
        return media.error(413, f"the limit is {MAX_CONTENT_LENGTH} bytes")
    try:
        with gc_paused():  # as the import itself: a large envelope is many containers
            envelope = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return media.error(400, f"not JSON: {exc}")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
        return media.error(400, 'send an envelope: {"objects": [...]}')
    requested = timezone.now()
    group = _group_uuid(caller, c) if c.distribution == "sharing_group" else None
    # The collection is the audience; TLP comes from each object's marking, else AMBER.
    defaults = Defaults(tlp="AMBER", pap="AMBER", distribution=c.distribution,
                        sharing_group=group, published=True)  # fmt: skip
    digest = hashlib.sha256(body).hexdigest()
    try:
        result = import_stix_bundle(
            caller.ctx, caller.viewer, envelope, defaults, skip_invalid=True,
            title=f"Added over TAXII to {c.title}",
            bundle_uuid=stix21.stable_uuid(_NS, f"{c.id}|{digest}"),
        )  # fmt: skip
    except IngestError as exc:
        return media.error(400, str(exc))
    except ActionError as exc:
        return media.error(exc.status if exc.status in (403, 404) else 422, exc.message)
    successes, failures = [], []
    for i, (sid, version) in enumerate(result.ids):
        entry = {"id": sid or f"objects[{i}]"}
        if version:
            entry["version"] = version
        if i in result.failed:
            failures.append(entry | {"message": result.failed[i][:500]})
        else:
            successes.append(entry)
    status = TaxiiStatus.objects.create(
        organisation_id=caller.viewer.org_id, collection_id=c.id, status="complete",
        request_timestamp=requested, total_count=len(result.ids),
        success_count=len(successes), failure_count=len(failures), pending_count=0,
        successes=successes, failures=failures,
    )  # fmt: skip
    return media.respond(_status_json(status), status=202)


def _group_uuid(caller: Caller, c: Collection) -> str | None:
    group = access_sharing_groups(caller.viewer).filter(pk=c.sharing_group_id).first()
    return str(group.uuid) if group else None


def _status_json(s: TaxiiStatus) -> dict:
    return {"id": str(s.uuid), "status": s.status,
            "request_timestamp": stix21.timestamp_us(s.request_timestamp),
            "total_count": s.total_count, "success_count": s.success_count,
            "successes": s.successes, "failure_count": s.failure_count, "failures": s.failures,
            "pending_count": s.pending_count, "pendings": s.pendings}  # fmt: skip


@taxii()
def status(request, caller: Caller, kind: str, status_id: str):
    try:
        key = uuid.UUID(status_id)
    except ValueError:
        return media.not_found("status")
    found = None
    if not caller.viewer.anonymous:
        found = TaxiiStatus.objects.filter(uuid=key, organisation_id=caller.viewer.org_id).first()
    if found is None:
        return media.not_found("status")
    return media.respond(_status_json(found), media_type=kind)
