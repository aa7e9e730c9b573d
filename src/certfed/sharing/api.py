"""REST handlers for sharing groups."""

from __future__ import annotations

from ninja import Query, Router, Schema
from ninja.responses import Status

from certfed.platform.pagination import Page, PageQuery, page
from certfed.platform.request import context, viewer, writer
from certfed.sharing.access import access_sharing_groups
from certfed.sharing.actions import do_create_sharing_group

router = Router(tags=["sharing"])


class SharingGroupIn(Schema):
    name: str
    description: str = ""
    members: list[str] = []


class SharingGroupOut(Schema):
    uuid: str
    name: str
    description: str
    owner: str
    members: list[str]


def group_json(group) -> dict:
    return {
        "uuid": str(group.uuid),
        "name": group.name,
        "description": group.description,
        "owner": group.owner.short_name,
        "members": sorted(o.short_name for o in group.members.all()),
    }


class SharingGroupPage(Page):
    results: list[SharingGroupOut]


@router.get("/sharing-groups", response=SharingGroupPage)
def list_sharing_groups(request, params: Query[PageQuery]):
    """The sharing groups your organisation belongs to."""
    qs = access_sharing_groups(viewer(request)).select_related("owner").prefetch_related("members")
    return page(request, qs.order_by("name", "id"), params.limit, params.offset, group_json)


@router.post("/sharing-groups", response={201: SharingGroupOut})
def create_sharing_group(request, payload: SharingGroupIn):
    v = writer(request)
    group = do_create_sharing_group(
        context(request), v, name=payload.name, description=payload.description,
        members=payload.members,
    )  # fmt: skip
    return Status(201, group_json(group))
