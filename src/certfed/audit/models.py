from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    """One thing that happened: a write, a login (or failed login), an API-key use, a read of
    restricted content. Append-only; `organisation` is whose log it belongs to (the actor's),
    so org-admins read their own organisation's entries. Never holds a secret."""

    time = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        "members.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    organisation = models.ForeignKey(
        "members.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    via = models.CharField(max_length=8, blank=True)  # web, api, cli

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["organisation", "-time"], name="audit_org_time")]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"
