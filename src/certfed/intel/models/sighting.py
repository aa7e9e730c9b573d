from __future__ import annotations

from django.db import models

from certfed.sharing.models import SharedObject


class Sighting(SharedObject):
    """An organisation's report that it saw an indicator (type `sighting`), judged it a false
    positive (`false-positive`) or considers it expired (`expiration`).

    A shared object like any other: its owner is the reporting organisation and it carries
    its own labels (default TLP AMBER, distribution organisation). Its audience is its own
    audience intersected with the sighted indicator's, so reporting a sighting never shows
    the indicator to anyone new, and a sighting is not seen by the indicator's owner unless
    the reporter shares it with them.
    """

    class Type(models.TextChoices):
        SIGHTING = "sighting"
        FALSE_POSITIVE = "false-positive"
        EXPIRATION = "expiration"

    type = models.CharField(max_length=16, choices=Type.choices, default=Type.SIGHTING)
    indicator = models.ForeignKey(
        "intel.Indicator", on_delete=models.CASCADE, related_name="sightings"
    )
    # Where it was seen: a sensor, a SIEM rule, a honeypot (free text).
    source = models.CharField(max_length=255, blank=True, default="")
    time = models.DateTimeField(db_index=True)
    # Several observations reported at once (a SIEM's hourly aggregate).
    count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [
            models.Index(fields=["indicator", "type", "time"], name="sighting_indicator"),
            models.Index(fields=["distribution", "owner"], name="sighting_audience"),
        ]

    def __str__(self) -> str:
        return f"{self.type} of indicator {self.indicator_id} at {self.time:%Y-%m-%d %H:%M}"
