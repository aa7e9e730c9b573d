from __future__ import annotations

from django.contrib.auth import logout


class SuspendedOrganisationMiddleware:
    """Ends the web session of a user whose organisation was suspended (or who was
    deactivated) since logging in: suspension takes effect on the very next request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if not user.is_active or user.organisation.status != "active":
                logout(request)
        return self.get_response(request)
