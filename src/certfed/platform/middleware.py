"""Request hygiene shared by every surface."""

from __future__ import annotations

import json
import re

from django.http import HttpResponse, JsonResponse

_API_PREFIXES = ("/api/",)
# A NUL as JSON writes it: \u0000 whose backslash is not itself escaped (an even number of
# backslashes before it), so the text "\\u0000" is not mistaken for one.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
NUL_MESSAGE = "NUL characters (\\u0000) are not allowed in any field"


def has_nul(body: bytes, json_text: bool) -> bool:
    """A NUL byte, or (in JSON) an escaped one."""
    return b"\x00" in body or (json_text and _JSON_NUL.search(body) is not None)


class RejectNulMiddleware:
    """NUL characters have no meaning in any certfed field, and PostgreSQL text refuses them:
    reject them up front with a clear 400 instead of failing deep in the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bad = "%00" in request.META.get("QUERY_STRING", "")
        ctype = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        # JSON documents only: streamed bodies (NDJSON batch match) are never read whole here.
        is_json = ctype == "application/json" or ctype.endswith("+json")
        if not bad and is_json and request.method in ("POST", "PUT", "PATCH"):
            try:
                body = request.body
            except Exception:  # noqa: BLE001 - too large etc.: let the view report it
                body = b""
            bad = has_nul(body, json_text=True)
        if bad:
            message = NUL_MESSAGE
            if request.path.startswith(_API_PREFIXES):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponse(message, status=400, content_type="text/plain")
        return self.get_response(request)


class JsonApiErrorsMiddleware:
    """Under /api/, every error is JSON {"detail": …}: also Django's own 404 for an unknown
    path, 405 for a wrong method, 400 for an oversized body, and a 500 if one ever happens."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith(_API_PREFIXES)
            and response.status_code >= 400
            and "json" not in response.get("Content-Type", "")
            and not getattr(response, "streaming", False)
        ):
            detail = response.reason_phrase or "error"
            if response.status_code == 405 and response.has_header("Allow"):
                detail = f"method not allowed (allowed: {response['Allow']})"
            replaced = HttpResponse(
                json.dumps({"detail": detail.lower() if response.status_code != 405 else detail}),
                status=response.status_code,
                content_type="application/json",
            )
            for header in ("Allow", "WWW-Authenticate"):
                if response.has_header(header):
                    replaced[header] = response[header]
            return replaced
        return response
