"""Writing the audit log. Callers pass who/what/where; this never records secrets."""

from __future__ import annotations

from dataclasses import dataclass

from certfed.audit.models import AuditEntry


@dataclass(frozen=True)
class Context:
    """Who acts and from where, carried from the request (or CLI) into actions."""

    user: object | None = None
    ip: str | None = None
    via: str = "cli"


CLI = Context()


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is spoofable unless a trusted proxy is configured.
    return request.META.get("REMOTE_ADDR") or None


def context_for(request, via: str) -> Context:
    user = getattr(request, "auth_user", None) or getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return Context(user=user, ip=client_ip(request), via=via)


def record(
    ctx: Context,
    action: str,
    obj: object | None = None,
    *,
    object_type: str = "",
    object_id: str = "",
    detail: dict | None = None,
    actor_label: str = "",
    organisation_id: int | None = None,
) -> AuditEntry:
    user = ctx.user
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(getattr(obj, "uuid", None) or obj.pk)
    return AuditEntry.objects.create(
        actor=user if user is not None and getattr(user, "pk", None) else None,
        actor_label=actor_label or (user.email if user is not None else "cli"),
        organisation_id=organisation_id or (user.organisation_id if user is not None else None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail or {},
        ip=ctx.ip,
        via=ctx.via,
    )
