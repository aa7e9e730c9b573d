from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager
from django.db import models


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_platform_admin", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser):
    """A person, always of exactly one member organisation.

    `role` is what they may do inside their organisation; `is_secretariat` and `is_board`
    are federation roles on top; `is_platform_admin` manages accounts and settings only —
    it grants no read access to any organisation's content (the gate never looks at it).
    """

    class Role(models.TextChoices):
        ORG_ADMIN = "org-admin"
        ANALYST = "analyst"
        VIEWER = "viewer"

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    organisation = models.ForeignKey(
        "members.Organisation", on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANALYST)
    is_secretariat = models.BooleanField(default=False)
    is_board = models.BooleanField(default=False)
    is_platform_admin = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    # Django admin access is for account management only: content models are not
    # registered there, so this exposes no shared content.
    @property
    def is_staff(self) -> bool:
        return self.is_platform_admin

    @property
    def is_superuser(self) -> bool:
        return self.is_platform_admin

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_active and self.is_platform_admin

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and self.is_platform_admin

    @property
    def can_write(self) -> bool:
        return self.role in (self.Role.ORG_ADMIN, self.Role.ANALYST)

    @property
    def is_org_admin(self) -> bool:
        return self.role == self.Role.ORG_ADMIN
