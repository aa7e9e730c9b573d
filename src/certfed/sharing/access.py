"""The sharing gate: the one place that decides who may see or change a shared object.

Every read surface (REST, web pages, search, counts, exports, feeds) builds its querysets
from the functions here; nothing else filters on owner/distribution/tlp. An object a viewer
may not see is simply absent from these querysets, so it answers exactly like one that does
not exist.

The rule is `kernel.labels.audience_includes`, expressed here as SQL; drafts (unpublished
events) are visible to their owner only; a suspended organisation sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet

from certfed.kernel.labels import Labels, audience_includes

_NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Viewer:
    """Who is asking: an organisation member, or the anonymous public (org_id None)."""

    user_id: int | None = None
    org_id: int | None = None
    category: str | None = None
    active: bool = False
    role: str | None = None
    groups: frozenset[int] = field(default_factory=frozenset)

    @property
    def anonymous(self) -> bool:
        return self.org_id is None

    @property
    def can_write(self) -> bool:
        return self.active and self.role in ("org-admin", "analyst")


ANONYMOUS = Viewer()


def community_categories() -> frozenset[str]:
    return frozenset(settings.CERTFED_COMMUNITY_CATEGORIES)


def viewer_for(user) -> Viewer:
    """The Viewer for a request's user (anonymous, inactive and suspended users see only
    public content or nothing)."""
    from certfed.sharing.models import SharingGroup

    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    org = user.organisation
    active = bool(user.is_active and org.status == "active")
    groups: frozenset[int] = frozenset()
    if active:
        groups = frozenset(
            SharingGroup.objects.filter(Q(members=org.pk) | Q(owner=org.pk))
            .values_list("pk", flat=True)
            .distinct()
        )
    return Viewer(
        user_id=user.pk,
        org_id=org.pk,
        category=org.category,
        active=active,
        role=user.role,
        groups=groups,
    )


def viewer_for_org(org, role: str = "org-admin") -> Viewer:
    """The operator acting for an organisation from the command line (imports, pulls)."""
    from certfed.sharing.models import SharingGroup

    active = org.status == "active"
    groups = frozenset(
        SharingGroup.objects.filter(Q(members=org.pk) | Q(owner=org.pk))
        .values_list("pk", flat=True)
        .distinct()
    ) if active else frozenset()  # fmt: skip
    return Viewer(org_id=org.pk, category=org.category, active=active, role=role, groups=groups)


def audience_q(viewer: Viewer, prefix: str = "", owner_path: str | None = None) -> Q:
    """Q over a SharedObject-like row (at `prefix`) true when the viewer is in its audience."""
    owner = owner_path or f"{prefix}owner_id"
    if viewer.anonymous:
        return Q(**{f"{prefix}distribution": "public"})
    if not viewer.active:
        return _NOTHING
    q = Q(**{owner: viewer.org_id}) | Q(**{f"{prefix}distribution__in": ["public", "federation"]})
    if viewer.category in community_categories():
        q |= Q(**{f"{prefix}distribution": "community"})
    if viewer.groups:
        q |= Q(
            **{
                f"{prefix}distribution": "sharing_group",
                f"{prefix}sharing_group_id__in": sorted(viewer.groups),
            }
        )
    return q


def event_visible_q(viewer: Viewer, prefix: str = "") -> Q:
    """Events: in the audience, and published unless the viewer owns the draft."""
    q = audience_q(viewer, prefix)
    if viewer.anonymous or not viewer.active:
        return q & Q(**{f"{prefix}published": True})
    return q & (Q(**{f"{prefix}published": True}) | Q(**{f"{prefix}owner_id": viewer.org_id}))


def _child_q(viewer: Viewer, prefix: str = "") -> Q:
    # A child with no labels of its own inherits its event's; one with labels is seen only
    # by the intersection of both audiences.
    own = audience_q(viewer, prefix, owner_path=f"{prefix}event__owner_id")
    return Q(**{f"{prefix}distribution__isnull": True}) | own


# -- querysets -----------------------------------------------------------------------------


def access_events(viewer: Viewer) -> QuerySet:
    from certfed.intel.models import Event

    return Event.objects.filter(event_visible_q(viewer))


def access_indicators(viewer: Viewer) -> QuerySet:
    from certfed.intel.models import Indicator

    return Indicator.objects.filter(event_visible_q(viewer, "event__") & _child_q(viewer))


def indicators_of_event_q(viewer: Viewer) -> Q:
    """Filter for the indicators inside an event the viewer already may see."""
    return _child_q(viewer)


def access_indicators_of_visible_events(viewer: Viewer) -> QuerySet:
    """Indicators for prefetching into events that already came through access_events: only
    the child rule applies (the parent rule was applied to the events)."""
    from certfed.intel.models import Indicator

    return Indicator.objects.filter(_child_q(viewer))


def access_event_by_uuid(viewer: Viewer, event_uuid) -> object | None:
    return access_events(viewer).filter(uuid=event_uuid).first()


def access_sharing_groups(viewer: Viewer) -> QuerySet:
    from certfed.sharing.models import SharingGroup

    if viewer.anonymous or not viewer.active:
        return SharingGroup.objects.none()
    return SharingGroup.objects.filter(pk__in=sorted(viewer.groups))


def access_organisations(viewer: Viewer) -> QuerySet:
    """The member directory: names, countries and categories are not restricted content,
    but only members (not the public, not suspended organisations) read it."""
    from certfed.members.models import Organisation

    if viewer.anonymous or not viewer.active:
        return Organisation.objects.none()
    return Organisation.objects.all()


# -- decisions on loaded objects ------------------------------------------------------------


def labels_of(obj) -> Labels:
    return Labels(obj.tlp, obj.pap, obj.distribution, obj.sharing_group_id)


def can_view_event(viewer: Viewer, event) -> bool:
    if not (event.published or viewer.org_id == event.owner_id):
        return False
    return audience_includes(
        labels_of(event),
        owner=event.owner_id,
        viewer_org=viewer.org_id,
        viewer_category=viewer.category,
        viewer_active=viewer.active,
        viewer_groups=viewer.groups,
        community=community_categories(),
    )


def can_change(viewer: Viewer, obj) -> bool:
    """Only writers (org-admins and analysts) of the owning organisation change an object."""
    return viewer.can_write and obj.owner_id == viewer.org_id


def must_audit_read(viewer: Viewer, obj) -> bool:
    """Reading another organisation's RED or AMBER+STRICT content is always audited."""
    return obj.owner_id != viewer.org_id and obj.tlp in ("RED", "AMBER+STRICT")
