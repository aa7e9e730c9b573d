from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from certfed.audit.log import Context, client_ip, record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    record(Context(user=user, ip=client_ip(request) if request else None, via="web"), "login")


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(Context(user=user, ip=client_ip(request) if request else None, via="web"), "logout")


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    from certfed.members.models import User

    # The attempted username is recorded, never the password.
    email = str(credentials.get("username") or credentials.get("email") or "")[:254]
    known = User.objects.filter(email=email.lower()).select_related("organisation").first()
    record(
        Context(user=None, ip=client_ip(request) if request else None, via="web"),
        "login_failed",
        actor_label=email,
        organisation_id=known.organisation_id if known else None,
        detail={"email": email},
    )
