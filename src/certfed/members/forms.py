"""Web forms of the members app. They only gather strings from the page; the rules live in
members.actions, whose ActionError messages are put back on the form by apply_action_error."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from certfed.members.models import User
from certfed.platform.errors import ActionError

ROLE_CHOICES = [(r.value, r.value) for r in User.Role]


def apply_action_error(form: forms.Form, exc: ActionError, aliases: dict | None = None) -> None:
    """Show an action's error on the form field it names (`tags[2]` and `indicators[0].value`
    land on `tags` and `indicators`), or above the form when it names none of them."""
    field = exc.field or ""
    base = field.split("[", 1)[0].split(".", 1)[0]
    base = (aliases or {}).get(base, base)
    message = exc.message
    if field and field != base and "[" in field:
        message = f"{field}: {message}"
    if base in form.fields:
        form.add_error(base, message)
    else:
        form.add_error(None, f"{field}: {message}" if field else message)


class LoginForm(AuthenticationForm):
    """Email and password; the email is matched case-insensitively (stored lower-case)."""

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class UserCreateForm(forms.Form):
    email = forms.CharField(label="Email", max_length=254, widget=forms.EmailInput)
    full_name = forms.CharField(label="Name", max_length=200, required=False)
    role = forms.CharField(
        label="Role", widget=forms.Select(choices=ROLE_CHOICES), initial="analyst"
    )
    password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters. Leave empty for an account that only uses API keys.",
    )


class UserChangeForm(forms.Form):
    """One row's role select, or its activate/deactivate button."""

    role = forms.CharField(required=False, widget=forms.Select(choices=ROLE_CHOICES))
    is_active = forms.CharField(required=False)

    def changes(self) -> dict:
        out: dict = {}
        if self.cleaned_data.get("role"):
            out["role"] = self.cleaned_data["role"]
        active = self.cleaned_data.get("is_active")
        if active in ("0", "1"):
            out["is_active"] = active == "1"
        return out


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        required=False,
        help_text="To recognise the key later, e.g. 'SIEM feed'.",
    )
    scope = forms.CharField(
        label="Scope",
        initial="read",
        widget=forms.Select(choices=[("read", "read"), ("write", "write")]),
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label="Action", required=False, help_text="Prefix, e.g. 'event.' or 'login'."
    )
