"""Writes on organisations, users and API keys. Each do_* is atomic and audited."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from certfed.audit.log import Context, record
from certfed.kernel.labels import CATEGORIES
from certfed.members.models import ApiKey, Organisation, User
from certfed.members.models.apikey import hash_key, new_key
from certfed.members.models.organisation import validate_country
from certfed.platform.errors import Forbidden, Invalid, NotFound

ROLES = tuple(r.value for r in User.Role)


def _check_admin_of(ctx: Context, org: Organisation) -> None:
    """CLI (no user) is the operator; otherwise platform admins or the org's own admins."""
    user = ctx.user
    if user is None or user.is_platform_admin:
        return
    if user.organisation_id == org.pk and user.is_org_admin:
        return
    raise Forbidden("only the organisation's admins or a platform admin may manage its users")


@transaction.atomic
def do_create_organisation(
    ctx: Context, *, name: str, short_name: str, country: str, category: str
) -> Organisation:
    if ctx.user is not None and not (ctx.user.is_platform_admin or ctx.user.is_secretariat):
        raise Forbidden("only the secretariat or a platform admin may add organisations")
    name, short_name = name.strip(), short_name.strip()
    country = country.strip().upper()
    if not name:
        raise Invalid("must not be empty", "name")
    if not short_name or len(short_name) > 32 or not short_name.replace("-", "").isalnum():
        raise Invalid(f"{short_name!r} must be 1-32 letters, digits or hyphens", "short_name")
    try:
        validate_country(country)
    except ValidationError as exc:
        raise Invalid(exc.messages[0], "country") from None
    if category not in CATEGORIES:
        raise Invalid(f"{category!r} is not one of {', '.join(CATEGORIES)}", "category")
    if Organisation.objects.filter(short_name__iexact=short_name).exists():
        raise Invalid(f"{short_name!r} is already taken", "short_name")
    org = Organisation.objects.create(
        name=name, short_name=short_name, country=country, category=category
    )
    record(ctx, "organisation.create", org, detail={"short_name": short_name})
    return org


@transaction.atomic
def do_set_organisation_status(ctx: Context, org: Organisation, status: str) -> Organisation:
    if ctx.user is not None and not (ctx.user.is_platform_admin or ctx.user.is_secretariat):
        raise Forbidden("only the secretariat or a platform admin may suspend organisations")
    if status not in ("active", "suspended"):
        raise Invalid(f"{status!r} is not 'active' or 'suspended'", "status")
    org.status = status
    org.save(update_fields=["status"])
    record(ctx, f"organisation.{status}", org)
    return org


@transaction.atomic
def do_create_user(
    ctx: Context,
    *,
    email: str,
    organisation: Organisation,
    role: str,
    password: str | None = None,
    full_name: str = "",
    is_secretariat: bool = False,
    is_board: bool = False,
    is_platform_admin: bool = False,
) -> User:
    _check_admin_of(ctx, organisation)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid(f"{email!r} is not a valid email address", "email") from None
    if role not in ROLES:
        raise Invalid(f"{role!r} is not one of {', '.join(ROLES)}", "role")
    if User.objects.filter(email=email).exists():
        raise Invalid(f"{email!r} already has an account", "email")
    if (is_secretariat or is_board or is_platform_admin) and not (
        ctx.user is None or ctx.user.is_platform_admin
    ):
        raise Forbidden("only a platform admin grants federation roles")
    if password is not None:
        try:
            validate_password(password)
        except ValidationError as exc:
            raise Invalid(" ".join(exc.messages), "password") from None
    user = User.objects.create_user(
        email,
        password,
        organisation=organisation,
        role=role,
        full_name=full_name,
        is_secretariat=is_secretariat,
        is_board=is_board,
        is_platform_admin=is_platform_admin,
    )
    record(ctx, "user.create", user, object_id=email, detail={"role": role})
    return user


@transaction.atomic
def do_change_user(
    ctx: Context, user: User, *, role: str | None = None, is_active: bool | None = None
) -> User:
    _check_admin_of(ctx, user.organisation)
    changes = {}
    if role is not None:
        if role not in ROLES:
            raise Invalid(f"{role!r} is not one of {', '.join(ROLES)}", "role")
        user.role = role
        changes["role"] = role
    if is_active is not None:
        if ctx.user is not None and ctx.user.pk == user.pk and not is_active:
            raise Invalid("you cannot deactivate your own account", "is_active")
        user.is_active = is_active
        changes["is_active"] = is_active
    user.save()
    record(ctx, "user.change", user, object_id=user.email, detail=changes)
    return user


@transaction.atomic
def do_create_api_key(
    ctx: Context, user: User, *, scope: str = "read", name: str = ""
) -> tuple[ApiKey, str]:
    """Returns the record and the key itself, which exists nowhere else after this call."""
    if ctx.user is not None and ctx.user.pk != user.pk:
        _check_admin_of(ctx, user.organisation)
    if scope not in ("read", "write"):
        raise Invalid(f"{scope!r} is not 'read' or 'write'", "scope")
    if scope == "write" and not user.can_write:
        raise Invalid(f"a {user.role} cannot hold a write key", "scope")
    key = new_key()
    record_ = ApiKey.objects.create(
        user=user, name=name, prefix=key[:10], key_hash=hash_key(key), scope=scope
    )
    record(
        ctx,
        "apikey.create",
        record_,
        object_id=record_.prefix,
        detail={"scope": scope, "user": user.email},
    )
    return record_, key


@transaction.atomic
def do_revoke_api_key(ctx: Context, key: ApiKey) -> None:
    if ctx.user is not None and ctx.user.pk != key.user_id:
        _check_admin_of(ctx, key.user.organisation)
    key.revoked = True
    key.save(update_fields=["revoked"])
    record(ctx, "apikey.revoke", key, object_id=key.prefix)


def organisation_by_short(short: str) -> Organisation:
    org = Organisation.objects.filter(short_name__iexact=short.strip()).first()
    if org is None:
        raise NotFound(f"no organisation {short!r}", "org")
    return org


def user_by_email(email: str) -> User:
    user = User.objects.select_related("organisation").filter(email=email.strip().lower()).first()
    if user is None:
        raise NotFound(f"no user {email!r}", "user")
    return user
