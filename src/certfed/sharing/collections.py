"""Collections: one per audience a viewer can read — its organisation, each of its sharing
groups, the community, the federation, and the public. TAXII collections, MISP feeds and
exports all use these same ids.

An object belongs to exactly one collection: the one named by its effective distribution
(an indicator's own, else its event's). Reading a collection is always *also* filtered by
the gate (sharing.access), so a collection can never show more than the viewer may see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from certfed.sharing.access import (
    Viewer,
    access_events,
    access_indicators,
    access_sharing_groups,
    community_categories,
)

_NS = uuid.UUID("6f1c8e0a-7a4e-4c8e-9a55-2b1f3c0d9e11")
COMMUNITY_ID = str(uuid.uuid5(_NS, "community"))
FEDERATION_ID = str(uuid.uuid5(_NS, "federation"))
PUBLIC_ID = str(uuid.uuid5(_NS, "public"))


@dataclass(frozen=True)
class Collection:
    """An audience seen as a collection of objects."""

    id: str
    title: str
    description: str
    distribution: str  # organisation, sharing_group, community, federation, public
    org_id: int | None = None  # for "organisation"
    sharing_group_id: int | None = None  # for "sharing_group"
    can_write: bool = False

    def event_q(self, prefix: str = "") -> Q:
        q = Q(**{f"{prefix}distribution": self.distribution})
        if self.distribution == "organisation":
            q &= Q(**{f"{prefix}owner_id": self.org_id})
        elif self.distribution == "sharing_group":
            q &= Q(**{f"{prefix}sharing_group_id": self.sharing_group_id})
        return q

    def indicator_q(self) -> Q:
        """Indicators whose effective distribution is this collection's."""
        own = Q(distribution=self.distribution)
        inherited = Q(distribution__isnull=True) & self.event_q("event__")
        if self.distribution == "organisation":
            own &= Q(event__owner_id=self.org_id)
        elif self.distribution == "sharing_group":
            own &= Q(sharing_group_id=self.sharing_group_id)
        return own | inherited


def collections_for(viewer: Viewer) -> list[Collection]:
    """The collections the viewer can read (the anonymous public: only the public one)."""
    public = Collection(
        PUBLIC_ID, "Public", "TLP:CLEAR intelligence anyone may read.", "public",
        can_write=viewer.can_write,
    )  # fmt: skip
    if viewer.anonymous:
        return [public]
    if not viewer.active:
        return []
    from certfed.members.models import Organisation

    org = Organisation.objects.get(pk=viewer.org_id)
    out = [
        Collection(
            str(org.uuid),
            f"{org.short_name} only",
            f"Shared with {org.name} alone (distribution organisation).",
            "organisation",
            org_id=org.pk,
            can_write=viewer.can_write,
        )  # fmt: skip
    ]
    for group in access_sharing_groups(viewer).order_by("name"):
        out.append(
            Collection(
                str(group.uuid),
                f"Sharing group: {group.name}",
                group.description or f"Shared with the members of {group.name}.",
                "sharing_group",
                sharing_group_id=group.pk,
                can_write=viewer.can_write,
            )  # fmt: skip
        )
    if viewer.category in community_categories():
        out.append(
            Collection(
                COMMUNITY_ID,
                "Community",
                "Shared with the national CERTs of the federation.",
                "community",
                can_write=viewer.can_write,
            )  # fmt: skip
        )
    out.append(
        Collection(
            FEDERATION_ID,
            "Federation",
            "Shared with every active member organisation.",
            "federation",
            can_write=viewer.can_write,
        )  # fmt: skip
    )
    out.append(public)
    return out


def collection_for(viewer: Viewer, collection_id: str) -> Collection | None:
    """The collection with that id if the viewer can read it; None answers 404."""
    key = str(collection_id).strip().lower()
    return next((c for c in collections_for(viewer) if c.id == key), None)


def collection_events(viewer: Viewer, collection: Collection) -> QuerySet:
    return access_events(viewer).filter(collection.event_q())


def collection_indicators(viewer: Viewer, collection: Collection) -> QuerySet:
    return access_indicators(viewer).filter(collection.indicator_q())
