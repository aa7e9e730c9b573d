"""Reads of kept STIX objects, always through the sharing gate.

A kept object is a child of its event: seen only when the viewer may see the event (which
also hides drafts from everyone but their owner) and is in the object's own audience. One
without an event is seen by its own audience alone.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from certfed.exchange.models import StixObject
from certfed.sharing.access import Viewer, audience_q, event_visible_q


def stix_object_visible_q(viewer: Viewer) -> Q:
    own = audience_q(viewer)
    return own & (Q(event__isnull=True) | event_visible_q(viewer, "event__"))


def access_stix_objects(viewer: Viewer) -> QuerySet:
    """Kept STIX objects the viewer may see."""
    return StixObject.objects.filter(stix_object_visible_q(viewer))


def access_stix_objects_of_visible_events(viewer: Viewer, event_ids: list[int]) -> QuerySet:
    """Kept objects inside events that already came through the gate: only the object's own
    audience is left to check."""
    return StixObject.objects.filter(audience_q(viewer), event_id__in=event_ids)


def own_stix_objects(viewer: Viewer) -> QuerySet:
    """The viewer's organisation's kept objects, for an import to compare versions with."""
    if viewer.anonymous or not viewer.active:
        return StixObject.objects.none()
    return StixObject.objects.filter(owner_id=viewer.org_id)
