from __future__ import annotations

import uuid

from django.db import models


class SharingGroup(models.Model):
    """A named set of organisations an object can be shared with (distribution sharing_group).

    The owner is always a member. Only members see the group and may label objects with it.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        "members.Organisation", on_delete=models.PROTECT, related_name="owned_sharing_groups"
    )
    members = models.ManyToManyField("members.Organisation", related_name="sharing_groups")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="sharing_group_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
