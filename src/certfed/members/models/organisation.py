from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models

from certfed.kernel.labels import CATEGORIES


def validate_country(value: str) -> None:
    import pycountry

    if (
        len(value) != 2
        or not value.isascii()
        or not value.isupper()
        or pycountry.countries.get(alpha_2=value) is None
    ):
        raise ValidationError(f"{value!r} is not an ISO 3166 alpha-2 country code such as 'MY'")


class Organisation(models.Model):
    """A member of the federation: a national CERT, an agency, or a commercial member.

    Its category decides which audiences it belongs to (see sharing.access); a suspended
    organisation sees nothing and its users and API keys stop working at once.
    """

    class Category(models.TextChoices):
        FULL = "full"
        GENERAL = "general"
        PROFESSIONAL = "professional"
        AFFILIATE = "affiliate"
        COMMERCIAL = "commercial"

    class Status(models.TextChoices):
        ACTIVE = "active"
        SUSPENDED = "suspended"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=32, unique=True)
    country = models.CharField(max_length=2, validators=[validate_country])
    category = models.CharField(max_length=16, choices=Category.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["short_name"]

    def __str__(self) -> str:
        return self.short_name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


assert tuple(c.value for c in Organisation.Category) == CATEGORIES  # noqa: S101
