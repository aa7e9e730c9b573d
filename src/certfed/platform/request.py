"""Helpers every API handler uses to learn who is asking and whether they may write."""

from __future__ import annotations

from certfed.audit.log import Context, context_for
from certfed.platform.errors import Forbidden
from certfed.sharing.access import ANONYMOUS, Viewer, viewer_for


def viewer(request) -> Viewer:
    cached = getattr(request, "_certfed_viewer", None)
    if cached is None:
        user = getattr(request, "auth_user", None)
        if user is None and getattr(request, "user", None) is not None:
            user = request.user if request.user.is_authenticated else None
        cached = viewer_for(user) if user is not None else ANONYMOUS
        request._certfed_viewer = cached
    return cached


def context(request) -> Context:
    return context_for(request, "api" if getattr(request, "api_key", None) else "web")


def writer(request) -> Viewer:
    """The viewer, after checking the credential may write (a read-scoped key may not)."""
    key = getattr(request, "api_key", None)
    if key is not None and key.scope != "write":
        raise Forbidden("this API key is read-only (scope 'read')")
    v = viewer(request)
    if not v.can_write:
        raise Forbidden("your role may not write")
    return v
