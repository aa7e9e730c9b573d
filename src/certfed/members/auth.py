"""Authentication: passwords for people, hashed API keys for machines. A user of a suspended
organisation, or an inactive user, is refused at once on both paths."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from certfed.members.models import ApiKey, User
from certfed.members.models.apikey import hash_key


def user_may_act(user: User | None) -> bool:
    return bool(user and user.is_active and user.organisation.status == "active")


class MemberBackend(ModelBackend):
    """Email + password login, refusing users whose organisation is suspended."""

    def user_can_authenticate(self, user) -> bool:
        return user_may_act(user)

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("organisation").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if user_may_act(user) else None


def user_for_api_key(key: str) -> tuple[User, ApiKey] | None:
    """The user and key record for a presented key, or None if unknown, revoked or barred."""
    if not key or len(key) > 200:
        return None
    record = (
        ApiKey.objects.select_related("user", "user__organisation")
        .filter(key_hash=hash_key(key), revoked=False)
        .first()
    )
    if record is None or not user_may_act(record.user):
        return None
    now = timezone.now()
    # One write per minute per key at most: the audit log carries each use.
    if record.last_used is None or (now - record.last_used).total_seconds() > 60:
        ApiKey.objects.filter(pk=record.pk).update(last_used=now)
    return record.user, record
