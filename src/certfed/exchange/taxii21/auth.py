"""Who a TAXII request comes from: HTTP Basic (user email + API key as the password) or
Bearer (the API key), as TAXII clients send them; no credentials at all is the public.
Sessions are ignored on purpose: the views are CSRF-exempt, so a cookie must not write."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from certfed.audit.log import Context, client_ip, record
from certfed.members.auth import user_for_api_key
from certfed.sharing.access import ANONYMOUS, Viewer, viewer_for

CHALLENGE = 'Basic realm="certfed TAXII", Bearer realm="certfed TAXII"'


@dataclass(frozen=True)
class Caller:
    viewer: Viewer
    ctx: Context
    user: object | None = None
    key_scope: str | None = None

    @property
    def may_write(self) -> bool:
        return self.key_scope == "write" and self.viewer.can_write


class BadCredentials(Exception):
    """Credentials were sent and are wrong: 401, never a silent downgrade to public."""


def caller_for(request) -> Caller:
    header = request.META.get("HTTP_AUTHORIZATION", "").strip()
    ip = client_ip(request)
    if not header:
        return Caller(ANONYMOUS, Context(ip=ip, via="taxii"))
    scheme, _, token = header.partition(" ")
    scheme, token = scheme.lower(), token.strip()
    email = None
    if scheme == "basic":
        try:
            email, sep, token = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise BadCredentials("malformed Basic credentials") from None
        if not sep:
            raise BadCredentials("malformed Basic credentials")
    elif scheme != "bearer":
        raise BadCredentials(f"unsupported authentication scheme {scheme!r}")
    found = user_for_api_key(token)
    if found is None:
        raise BadCredentials("unknown, revoked or suspended API key")
    user, key = found
    if email is not None and email.strip().lower() != user.email.lower():
        raise BadCredentials("that API key belongs to another user")
    ctx = Context(user=user, ip=ip, via="taxii")
    record(ctx, "apikey.use", object_type="apikey", object_id=key.prefix,
           detail={"method": request.method, "path": request.path[:300]})  # fmt: skip
    return Caller(viewer_for(user), ctx, user, key.scope)
