from __future__ import annotations

import uuid

from django.db import models

from certfed.kernel.indicators import TYPES
from certfed.sharing.models import DISTRIBUTION_CHOICES, PAP_CHOICES, TLP_CHOICES

INDICATOR_TYPE_CHOICES = [(t, t) for t in sorted(TYPES)]


def parked_value():
    """An expression giving each row a unique throw-away value ("~<id>"). Rewriting values
    that may move between rows of one event parks them first, so the unique
    (event, type, value) index holds at every step."""
    from django.db.models import CharField, F, Value
    from django.db.models.functions import Cast, Concat

    return Concat(Value("~"), Cast(F("id"), CharField()))


class Indicator(models.Model):
    """One observable value (an address, a domain, a hash…) inside an event.

    It inherits its event's owner and labels; its own tlp/pap/distribution, when set, may
    only narrow them (the gate intersects the audiences, readers take the stricter TLP).
    `value` is always the kernel's canonical form, so equal values compare equal in SQL.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No separate index: the unique (event, type, value) index serves event lookups.
    event = models.ForeignKey(
        "intel.Event", on_delete=models.CASCADE, related_name="indicators", db_index=False
    )
    type = models.CharField(max_length=16, choices=INDICATOR_TYPE_CHOICES)
    value = models.CharField(max_length=2048)
    comment = models.TextField(blank=True)
    to_detect = models.BooleanField(default=True)
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    tlp = models.CharField(max_length=16, choices=TLP_CHOICES, null=True, blank=True)
    pap = models.CharField(max_length=8, choices=PAP_CHOICES, null=True, blank=True)
    distribution = models.CharField(
        max_length=16, choices=DISTRIBUTION_CHOICES, null=True, blank=True
    )
    # Indexed only where set (see Meta): most indicators inherit their event's audience.
    sharing_group = models.ForeignKey(
        "sharing.SharingGroup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Address range (kernel.netrange) of ipv4/ipv6/cidr values: CIDR containment as a range
    # query on an index, for correlation and matching.
    net_lo = models.CharField(max_length=32, null=True, blank=True)
    net_hi = models.CharField(max_length=32, null=True, blank=True)
    # Name of the first warninglist the value hits ("" when none), set when written.
    warninglist = models.CharField(max_length=200, blank=True, default="")
    # The source's own version stamp (STIX modified, MISP timestamp): imports are idempotent.
    source_modified = models.DateTimeField(null=True, blank=True)
    sighting_count = models.PositiveIntegerField(default=0)
    false_positive_count = models.PositiveIntegerField(default=0)
    last_sighted = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # Holds the event too: counting a value's events (value statistics, correlation)
            # reads the index alone, never the table.
            models.Index(fields=["value", "type", "event"], name="indicator_value_event"),
            # Only addresses and networks have a range; the rest stay out of this index.
            models.Index(
                fields=["net_lo"], name="indicator_net", condition=models.Q(net_lo__isnull=False)
            ),
            models.Index(
                fields=["sharing_group"],
                name="indicator_sharing_group",
                condition=models.Q(sharing_group__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "type", "value"], name="indicator_unique_in_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"
