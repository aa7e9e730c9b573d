"""Writes on sharing groups; atomic and audited."""

from __future__ import annotations

from django.db import transaction

from certfed.audit.log import Context, record
from certfed.members.models import Organisation
from certfed.platform.errors import Forbidden, Invalid
from certfed.sharing.access import Viewer
from certfed.sharing.models import SharingGroup


@transaction.atomic
def do_create_sharing_group(
    ctx: Context, viewer: Viewer, *, name: str, description: str = "", members: list[str]
) -> SharingGroup:
    """`members` are organisation short names; the creating organisation is always one."""
    if not viewer.can_write:
        raise Forbidden("your role may not create sharing groups")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise Invalid("must be 1-200 characters", "name")
    if not isinstance(members, list):
        raise Invalid("must be a list of organisation short names", "members")
    wanted = {str(m).strip().lower(): i for i, m in enumerate(members)}
    orgs = list(Organisation.objects.filter(short_name__in=[m for m in members]))
    orgs += [
        o for o in Organisation.objects.exclude(pk__in=[o.pk for o in orgs])
        if o.short_name.lower() in wanted
    ]  # fmt: skip
    found = {o.short_name.lower() for o in orgs}
    for short, i in wanted.items():
        if short not in found:
            raise Invalid(f"no organisation {members[i]!r}", f"members[{i}]")
    if SharingGroup.objects.filter(owner_id=viewer.org_id, name=name).exists():
        raise Invalid(f"your organisation already has a sharing group {name!r}", "name")
    group = SharingGroup.objects.create(
        name=name, description=(description or "").strip(), owner_id=viewer.org_id
    )
    group.members.set({o.pk for o in orgs} | {viewer.org_id})
    record(
        ctx,
        "sharing_group.create",
        group,
        detail={"name": name, "members": sorted(o.short_name for o in orgs)},
    )
    return group
