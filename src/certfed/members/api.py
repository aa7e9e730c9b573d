"""REST handlers for the member directory and the caller's own identity."""

from __future__ import annotations

from ninja import Query, Router, Schema

from certfed.platform.pagination import Page, PageQuery, page
from certfed.platform.request import viewer
from certfed.sharing.access import access_organisations

router = Router(tags=["members"])


class OrganisationOut(Schema):
    uuid: str
    name: str
    short_name: str
    country: str
    category: str
    status: str


class MeOut(Schema):
    email: str
    full_name: str
    organisation: OrganisationOut
    role: str
    federation_roles: list[str]
    platform_admin: bool
    auth: str
    key_scope: str | None


def organisation_json(org) -> dict:
    return {
        "uuid": str(org.uuid),
        "name": org.name,
        "short_name": org.short_name,
        "country": org.country,
        "category": org.category,
        "status": org.status,
    }


class OrganisationPage(Page):
    results: list[OrganisationOut]


@router.get("/organisations", response=OrganisationPage)
def list_organisations(request, params: Query[PageQuery]):
    """The member directory."""
    qs = access_organisations(viewer(request))
    return page(request, qs, params.limit, params.offset, organisation_json)


@router.get("/me", response=MeOut)
def me(request):
    user = request.auth_user
    key = getattr(request, "api_key", None)
    roles = [r for r, on in (("secretariat", user.is_secretariat), ("board", user.is_board)) if on]
    return {
        "email": user.email,
        "full_name": user.full_name,
        "organisation": organisation_json(user.organisation),
        "role": user.role,
        "federation_roles": roles,
        "platform_admin": user.is_platform_admin,
        "auth": "api-key" if key else "session",
        "key_scope": key.scope if key else None,
    }
