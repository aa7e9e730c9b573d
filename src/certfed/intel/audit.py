"""Read auditing: reading another organisation's RED or AMBER+STRICT content is always
recorded; so is every detail read of another organisation's event."""

from __future__ import annotations

from certfed.audit.log import context_for, record
from certfed.sharing.access import Viewer

_RESTRICTED = ("RED", "AMBER+STRICT")


def audit_event_reads(request, viewer: Viewer, events: list[dict], *, detail: bool = False) -> None:
    """`events` are event JSON documents (or indicator hits: owner, tlp, event uuid)."""
    if viewer.anonymous:
        return
    from certfed.members.models import Organisation

    own = Organisation.objects.filter(pk=viewer.org_id).values_list("short_name", flat=True).first()
    foreign = [e for e in events if e["owner"] != own]
    restricted = sorted(
        {
            e.get("event", e["uuid"])
            for e in foreign
            if e["tlp"] in _RESTRICTED
            or any(i["tlp"] in _RESTRICTED for i in e.get("indicators", ()))
        }
    )
    via = "api" if getattr(request, "api_key", None) else "web"
    ctx = context_for(request, via)
    if detail and foreign:
        e = foreign[0]
        record(
            ctx,
            "event.read",
            object_type="event",
            object_id=e["uuid"],
            detail={"tlp": e["tlp"], "owner": e["owner"]},
        )
    elif restricted:
        record(
            ctx,
            "event.list_read",
            object_type="event",
            object_id="",
            detail={"restricted": restricted},
        )


def audit_correlation_reads(request, viewer: Viewer, report) -> None:
    """The events a correlation report shows count as read (a list of them)."""
    audit_event_reads(
        request, viewer,
        [{"uuid": str(c.event.uuid), "owner": c.event.owner.short_name, "tlp": c.event.tlp}
         for c in report.correlations],
    )  # fmt: skip
