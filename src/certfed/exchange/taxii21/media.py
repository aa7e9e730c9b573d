"""TAXII 2.1 media types, content negotiation and error messages."""

from __future__ import annotations

import orjson
from django.http import HttpResponse

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
_KINDS = {"application/taxii+json": TAXII, "application/stix+json": STIX}


def _ranges(header: str):
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";") if f.strip()]
        if not fields:
            continue
        params = {}
        for f in fields[1:]:
            key, _, value = f.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        yield fields[0].lower(), params


def negotiate(request, *, stix: bool = False) -> str | None:
    """The media type to answer with, or None (406) when the client accepts none we speak.
    No Accept header means anything goes; the STIX type is offered for object resources."""
    header = request.META.get("HTTP_ACCEPT", "").strip()
    if not header:
        return TAXII
    offered = [TAXII, STIX] if stix else [TAXII]
    for kind, params in _ranges(header):
        if params.get("q", "1") in ("0", "0.0", "0.00", "0.000"):
            continue
        if kind in ("*/*", "application/*"):
            return TAXII
        full = _KINDS.get(kind)
        if full in offered and params.get("version", "2.1") == "2.1":
            return full
    return None


def content_type_ok(request) -> bool:
    """A POST body must be TAXII 2.1 (or STIX 2.1) JSON."""
    header = request.META.get("CONTENT_TYPE", "")
    for kind, params in _ranges(header):
        return kind in _KINDS and params.get("version", "2.1") == "2.1"
    return False


def respond(body: bytes | dict, status: int = 200, media_type: str = TAXII,
            headers: dict | None = None) -> HttpResponse:  # fmt: skip
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    response = HttpResponse(data, status=status, content_type=media_type)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable",
}


def error(status: int, description: str, headers: dict | None = None) -> HttpResponse:
    """A TAXII error message (the media type is always TAXII: errors are negotiated last)."""
    body = {"title": _TITLES.get(status, "Error"), "description": description,
            "http_status": str(status)}  # fmt: skip
    return respond(body, status, TAXII, headers)


def not_found(what: str = "collection") -> HttpResponse:
    # The same words whether it does not exist or the caller may not see it.
    return error(404, f"no such {what}")
