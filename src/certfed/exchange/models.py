"""Exchange state: STIX objects kept as they came, TAXII add-object statuses, pull cursors."""

from __future__ import annotations

import uuid

from django.db import models

from certfed.sharing.models import SharedObject


class StixObject(SharedObject):
    """A STIX object certfed has no model for (malware, relationship, identity, sighting,
    attack-pattern, a complex indicator, a custom `x-…` type…), kept exactly as it came so
    exports give it back unchanged.

    It carries sharing labels like everything shared: its event's (the report that
    referenced it, else the event made for its bundle), with its own TLP marking when that
    is stricter. Read it only through exchange.stix.queries (the gate). Only the latest
    version of each object is kept: one row per (owner, STIX id).
    """

    stix_id = models.CharField(max_length=300)
    # The uuid part of stix_id, so objects can be matched to indicators in SQL.
    stix_uuid = models.UUIDField(db_index=True)
    type = models.CharField(max_length=250, db_index=True)
    spec_version = models.CharField(max_length=8, default="2.1")
    # The object's own `modified` (None for objects without one: SCOs, markings).
    stix_modified = models.DateTimeField(null=True, blank=True)
    # identity names are matched to events' originator names when exporting.
    name = models.CharField(max_length=255, blank=True, default="", db_index=True)
    raw = models.TextField()
    event = models.ForeignKey(
        "intel.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="stix_objects"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "stix_id"], name="stixobject_unique_per_owner")
        ]
        indexes = [
            models.Index(fields=["stix_id"], name="stixobject_stix_id"),
            # TAXII pages are keyset pages over (date added, id).
            models.Index(fields=["modified", "id"], name="stixobject_keyset"),
        ]

    def __str__(self) -> str:
        return self.stix_id


class TaxiiStatus(models.Model):
    """The status resource of one TAXII "add objects" request, readable by the
    organisation that sent it (GET …/status/{id}/)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "members.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    collection_id = models.CharField(max_length=64)
    status = models.CharField(max_length=16, default="pending")  # pending, complete
    request_timestamp = models.DateTimeField()
    total_count = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    pending_count = models.PositiveIntegerField(default=0)
    successes = models.JSONField(default=list, blank=True)
    failures = models.JSONField(default=list, blank=True)
    pendings = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"status {self.uuid} ({self.status})"


class TaxiiPullState(models.Model):
    """Where an organisation's pulls of one remote TAXII collection got to: the newest
    date_added seen, passed back as added_after on the next run."""

    organisation = models.ForeignKey(
        "members.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    url = models.CharField(max_length=1000)
    collection = models.CharField(max_length=200)
    # Kept as the server wrote it: its precision is its own, and it goes back verbatim.
    added_after = models.CharField(max_length=64, blank=True, default="")
    last_run = models.DateTimeField(null=True, blank=True)
    objects_pulled = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "url", "collection"], name="taxiipullstate_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.url} {self.collection}"
