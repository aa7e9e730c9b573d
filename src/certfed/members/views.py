"""Web pages of the members app: login, the organisation's users and audit log, API keys.

Thin: parse the form, call an action, render. Users, keys and audit entries are not shared
content (the sharing gate is about events and the like); each page is scoped to the signed-in
user's own organisation or account.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from certfed.audit.log import context_for
from certfed.audit.models import AuditEntry
from certfed.members.actions import (
    do_change_user,
    do_create_api_key,
    do_create_user,
    do_revoke_api_key,
)
from certfed.members.forms import (
    ApiKeyForm,
    AuditFilterForm,
    LoginForm,
    UserChangeForm,
    UserCreateForm,
    apply_action_error,
)
from certfed.members.models import ApiKey, User
from certfed.platform.errors import ActionError

PAGE_SIZE = 50


class LoginView(auth_views.LoginView):
    template_name = "members/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True


def _require_org_admin(request) -> None:
    if not request.user.is_org_admin:
        raise PermissionDenied("only your organisation's admins may open this page")


def _org_users(request):
    return User.objects.filter(organisation_id=request.user.organisation_id).order_by("email")


@login_required
def org_users(request):
    _require_org_admin(request)
    form = UserCreateForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = do_create_user(
                context_for(request, "web"),
                email=data["email"],
                organisation=request.user.organisation,
                role=data["role"],
                password=data["password"] or None,
                full_name=data["full_name"],
            )
        except ActionError as exc:
            apply_action_error(form, exc)
            status = exc.status
        else:
            messages.success(request, f"Added {user.email} as {user.role}.")
            return redirect("org-users")
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "members/org_users.html",
        {"form": form, "users": _org_users(request), "roles": [r.value for r in User.Role]},
        status=status,
    )


@login_required
@require_POST
def org_user_change(request, user_id: int):
    _require_org_admin(request)
    target = _org_users(request).filter(pk=user_id).first()
    if target is None:
        raise Http404
    form = UserChangeForm(request.POST)
    form.is_valid()
    try:
        do_change_user(context_for(request, "web"), target, **form.changes())
    except ActionError as exc:
        messages.error(request, f"{target.email}: {exc.message}")
    else:
        state = "active" if target.is_active else "deactivated"
        messages.success(request, f"{target.email} is now {target.role}, {state}.")
    return redirect("org-users")


@login_required
def org_audit(request):
    _require_org_admin(request)
    form = AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.filter(organisation_id=request.user.organisation_id)
    if form.is_valid() and form.cleaned_data["action"]:
        entries = entries.filter(action__startswith=form.cleaned_data["action"].strip())
    entries = entries.select_related("actor").order_by("-time", "-id")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/org_audit.html", {"form": form, "page": page})


def _keys(request):
    return ApiKey.objects.filter(user=request.user).order_by("revoked", "-created")


@login_required
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    status = 200
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            record, new_key = do_create_api_key(
                context_for(request, "web"),
                request.user,
                scope=form.cleaned_data["scope"],
                name=form.cleaned_data["name"],
            )
        except ActionError as exc:
            apply_action_error(form, exc)
            status = exc.status
        else:
            form = ApiKeyForm()
    elif request.method == "POST":
        status = 422
    response = render(
        request,
        "members/api_keys.html",
        {"form": form, "keys": _keys(request), "new_key": new_key},
        status=status,
    )
    # The page may carry a secret shown only once: never keep a copy anywhere.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_key_revoke(request, key_id: int):
    key = _keys(request).filter(pk=key_id).first()
    if key is None:
        raise Http404
    try:
        do_revoke_api_key(context_for(request, "web"), key)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Key {key.prefix}… is revoked; it stops working at once.")
    return redirect("api-keys")
