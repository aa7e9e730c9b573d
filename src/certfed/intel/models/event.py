from __future__ import annotations

import re

from django.db import models

from certfed.sharing.models import SharedObject

ATTACK_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")


class Tag(models.Model):
    """A label on events: free text, a MITRE ATT&CK technique id (T1566, T1059.001) or a
    machine tag (rsit:phishing). ATT&CK ids are stored upper-case so they match."""

    name = models.CharField(max_length=255, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_attack_technique(self) -> bool:
        return bool(ATTACK_TECHNIQUE.match(self.name))


class Event(SharedObject):
    """A unit of shared intelligence (MISP's event, STIX's report): a story and the
    indicators that go with it. Unpublished events are drafts, seen by their owner only."""

    class ThreatLevel(models.TextChoices):
        HIGH = "high"
        MEDIUM = "medium"
        LOW = "low"
        UNDEFINED = "undefined"

    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    date = models.DateField()
    threat_level = models.CharField(
        max_length=16, choices=ThreatLevel.choices, default=ThreatLevel.UNDEFINED
    )
    published = models.BooleanField(default=False, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField(Tag, related_name="events", blank=True)
    # The source's own version stamp (STIX modified, MISP timestamp): imports are idempotent.
    source_modified = models.DateTimeField(null=True, blank=True)
    # The first publisher's name as the source gave it, when it is not a member organisation
    # (a STIX identity, a MISP Orgc): kept through imports and sync.
    originator_name = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["distribution", "published"], name="event_audience"),
            models.Index(fields=["owner", "published"], name="event_owner"),
        ]

    def __str__(self) -> str:
        return self.title
