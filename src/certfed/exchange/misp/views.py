"""The MISP feed over HTTP: /feeds/misp/{collection-id}/manifest.json, hashes.csv and
{uuid}.json. Authenticated like the API (an API key, or a web session), because MISP
sends whatever Authorization header its feed's "headers" setting names: `Bearer <key>`,
MISP's own bare `<key>`, or HTTP Basic with the user's email and an API key. Without
credentials the caller is the public; a collection the caller cannot read answers 404
exactly like one that does not exist.
"""

from __future__ import annotations

import base64
import binascii

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from certfed.exchange.exports.base import audit_export
from certfed.platform.api import api_key_auth
from certfed.sharing.access import ANONYMOUS, Viewer, viewer_for
from certfed.sharing.collections import Collection, collection_for, collections_for

from . import feed


class _Refused(Exception):
    pass


def _credentials(header: str) -> tuple[str | None, str]:
    """(email or None, key) from an Authorization header in any of the accepted shapes."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return None, rest.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(rest.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _Refused from None
        email, colon, key = decoded.partition(":")
        if not colon:
            raise _Refused
        return email.strip(), key.strip()
    return None, header.strip()


def _viewer(request: HttpRequest) -> Viewer:
    header = request.META.get("HTTP_AUTHORIZATION")
    if header is None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return viewer_for(user)
        return ANONYMOUS
    email, key = _credentials(header)
    # The API's own authenticator: same key rules, same audit of each use and each refusal.
    user = api_key_auth.authenticate(request, key) if key else None
    if user is None or (email is not None and email.lower() != user.email.lower()):
        raise _Refused
    return viewer_for(user)


def _refused() -> HttpResponse:
    response = JsonResponse(
        {"detail": "authentication required: send Authorization: Bearer <key>"}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="certfed", Basic realm="certfed"'
    return response


def _not_found() -> HttpResponse:
    return JsonResponse({"detail": "not found"}, status=404)


def _collection(request: HttpRequest, collection_id: str) -> tuple[Viewer, Collection | None]:
    viewer = _viewer(request)
    return viewer, collection_for(viewer, collection_id)


def _feed_view(func):
    """Authenticate, resolve the collection (404 if unreadable), refuse bad credentials."""

    @require_safe
    def view(request: HttpRequest, collection_id: str, *args, **kwargs):
        try:
            viewer, collection = _collection(request, collection_id)
        except _Refused:
            return _refused()
        if collection is None:
            return _not_found()
        return func(request, viewer, collection, *args, **kwargs)

    view.__name__ = func.__name__
    view.__doc__ = func.__doc__
    return view


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The feeds the caller can subscribe to, one per readable collection."""
    try:
        viewer = _viewer(request)
    except _Refused:
        return _refused()
    feeds = [
        {
            "id": c.id,
            "title": c.title,
            "description": c.description,
            "url": request.build_absolute_uri(reverse("misp-feed", args=[c.id])),
        }
        for c in collections_for(viewer)
    ]
    return JsonResponse({"feeds": feeds})


@_feed_view
def collection_root(request: HttpRequest, viewer: Viewer, collection: Collection):
    """What a MISP feed's URL points at: where its files are."""
    base = request.build_absolute_uri(reverse("misp-feed", args=[collection.id]))
    return JsonResponse(
        {
            "id": collection.id,
            "title": collection.title,
            "description": collection.description,
            "manifest": base + "manifest.json",
            "hashes": base + "hashes.csv",
        }
    )


@_feed_view
def manifest(request: HttpRequest, viewer: Viewer, collection: Collection):
    events = feed.feed_events(viewer, collection)
    audit_export(request, viewer, events, feed.feed_indicators(viewer, collection),
                 what=f"misp-feed:{collection.id}:manifest")  # fmt: skip
    return StreamingHttpResponse(feed.manifest(viewer, collection), content_type="application/json")


@_feed_view
def hashes(request: HttpRequest, viewer: Viewer, collection: Collection):
    events = feed.feed_events(viewer, collection)
    audit_export(request, viewer, events, feed.feed_indicators(viewer, collection),
                 what=f"misp-feed:{collection.id}:hashes")  # fmt: skip
    return StreamingHttpResponse(
        feed.hashes(viewer, collection), content_type="text/csv; charset=utf-8"
    )


@_feed_view
def event(request: HttpRequest, viewer: Viewer, collection: Collection, event_uuid: str):
    body = feed.event_document(viewer, collection, event_uuid)
    if body is None:
        return _not_found()
    events = feed.feed_events(viewer, collection).filter(uuid=event_uuid)
    audit_export(request, viewer, events, feed.feed_indicators(viewer, collection).filter(
        event__uuid=event_uuid), what=f"misp-feed:{collection.id}:event")  # fmt: skip
    return HttpResponse(body, content_type="application/json")
