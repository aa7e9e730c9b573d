"""The REST API at /api/v1/: authentication, error shapes and the routers of each app."""

from __future__ import annotations

from django.db import IntegrityError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from certfed.audit.log import Context, client_ip, record
from certfed.members.auth import user_for_api_key
from certfed.platform.errors import ActionError


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`; each use is audited."""

    openapi_description = "An API key created with `certfed apikey create` or in the web UI."

    def authenticate(self, request, token: str):
        found = user_for_api_key(token.strip())
        if found is None:
            # Recorded without the key: only its first characters, to spot a leaked prefix.
            record(
                Context(user=None, ip=client_ip(request), via="api"),
                "apikey.invalid",
                object_type="apikey",
                object_id=token.strip()[:6],
                actor_label="(invalid API key)",
                detail={"method": request.method, "path": request.path[:300]},
            )
            return None
        user, key = found
        request.auth_user = user
        request.api_key = key
        record(
            Context(user=user, ip=client_ip(request), via="api"),
            "apikey.use",
            object_type="apikey",
            object_id=key.prefix,
            detail={"method": request.method, "path": request.path[:300]},
        )
        return user


class MemberSession(SessionAuth):
    """The web UI's session cookie (CSRF-checked on writes), so the docs page works."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            request.auth_user = user
            request.api_key = None
        return user


class Anonymous:
    """No credentials at all: the public. A request that sends a bad key is refused
    instead of silently downgraded to public."""

    openapi_type = None

    def __call__(self, request):
        if "HTTP_AUTHORIZATION" in request.META:
            return None
        request.auth_user = None
        request.api_key = None
        return "anonymous"


api_key_auth = ApiKeyAuth()
session_auth = MemberSession()
MEMBER = [api_key_auth, session_auth]
MEMBER_OR_PUBLIC = [api_key_auth, session_auth, Anonymous()]


class _Api(NinjaAPI):
    """The REST API; `extra_paths` documents endpoints served by plain Django views under
    the same prefix (the batch match streams its body in and out, which a ninja operation
    does not)."""

    extra_paths: dict[str, dict] = {}

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        prefix = self.get_root_path(path_params or {}) if path_prefix is None else path_prefix
        for path, item in self.extra_paths.items():
            schema["paths"][prefix + path] = item
        return schema


api = _Api(
    title="certfed API",
    version="1",
    description=(
        "Share events and indicators across a federation of CERTs. Every answer passes the "
        "sharing gate: an object you may not see answers 404, exactly like one that does "
        "not exist."
    ),
    urls_namespace="api-v1",
    auth=MEMBER,
)


def _detail(request, detail, status: int, **extra):
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(ActionError)
def _action_error(request, exc: ActionError):
    extra = {"field": exc.field} if exc.field else {}
    return _detail(request, exc.message if not exc.field else str(exc), exc.status, **extra)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    return _detail(request, exc.errors, 422)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    response = _detail(request, "authentication required: send Authorization: Bearer <key>", 401)
    response["WWW-Authenticate"] = 'Bearer realm="certfed"'
    return response


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _detail(request, "not found", 404)


@api.exception_handler(IntegrityError)
def _conflict(request, exc):
    # A concurrent request won the race for the same unique name or uuid.
    return _detail(request, "conflicts with a change made at the same time; retry", 422)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _detail(request, str(exc), exc.status_code)


def _register() -> None:
    from certfed.exchange.api import router as exchange_router
    from certfed.intel.api import router as intel_router
    from certfed.intel.match import openapi as match_openapi
    from certfed.members.api import router as members_router
    from certfed.sharing.api import router as sharing_router

    api.add_router("", members_router)
    api.add_router("", sharing_router)
    api.add_router("", intel_router)
    api.add_router("", exchange_router)
    api.extra_paths["match"] = match_openapi()


_register()
