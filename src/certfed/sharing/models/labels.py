from __future__ import annotations

import uuid

from django.db import models

from certfed.kernel.labels import DISTRIBUTIONS, PAP_LEVELS, TLP_LEVELS

TLP_CHOICES = [(t, f"TLP:{t}") for t in TLP_LEVELS]
PAP_CHOICES = [(p, f"PAP:{p}") for p in PAP_LEVELS]
DISTRIBUTION_CHOICES = [(d, d.replace("_", " ")) for d in DISTRIBUTIONS]


class SharedObject(models.Model):
    """Fields every shared object carries: who owns it, who first published it, its labels.

    Only sharing.access decides who may see or change a SharedObject; never filter on these
    fields anywhere else.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey("members.Organisation", on_delete=models.PROTECT, related_name="+")
    originator = models.ForeignKey(
        "members.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    tlp = models.CharField(max_length=16, choices=TLP_CHOICES, default="AMBER")
    pap = models.CharField(max_length=8, choices=PAP_CHOICES, default="AMBER")
    distribution = models.CharField(
        max_length=16, choices=DISTRIBUTION_CHOICES, default="organisation"
    )
    sharing_group = models.ForeignKey(
        "sharing.SharingGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    modified = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True
