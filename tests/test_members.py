"""Members: roles, the platform admin's limits, suspension, and the admin site."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client

from certfed.audit.log import CLI
from certfed.audit.models import AuditEntry
from certfed.members.actions import do_create_user, do_set_organisation_status
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_platform_admin_manages_accounts_but_reads_no_restricted_content(fed):
    root = do_create_user(CLI, email="root@bravo.example", organisation=fed.orgs["BRAVO"],
                          role="viewer", password=PASSWORD, is_platform_admin=True)  # fmt: skip
    secret = fed.event("alpha", title="alpha-only", distribution="organisation", tlp="RED")
    c = Client()
    c.force_login(root)
    assert c.get("/admin/").status_code == 200
    assert c.get("/admin/members/organisation/").status_code == 200
    assert c.get("/admin/members/user/").status_code == 200
    # Content is not in the admin site at all, and the gate ignores the admin flag.
    registered = {m._meta.label for m in admin.site._registry}
    assert not any(label.startswith("intel.") for label in registered)
    assert c.get(f"/events/{secret.uuid}/").status_code == 404
    assert c.get("/api/v1/events").json()["count"] == 0


def test_ordinary_users_cannot_open_the_admin_site(fed):
    c = Client()
    c.force_login(fed.users["alpha_admin"])
    assert c.get("/admin/").status_code == 302  # to the admin login


def test_suspension_ends_a_web_session_at_once(fed):
    c = Client()
    assert c.login(username="bravo@bravo.example", password=PASSWORD)
    assert c.get("/events/").status_code == 200
    do_set_organisation_status(CLI, fed.orgs["BRAVO"], "suspended")
    r = c.get("/events/")
    assert r.status_code == 302 and "/login/" in r["Location"]
    assert not c.login(username="bravo@bravo.example", password=PASSWORD)
    assert AuditEntry.objects.filter(action="organisation.suspended").exists()


def test_deactivated_user_is_refused(fed):
    from certfed.members.actions import do_change_user

    do_change_user(CLI, fed.users["bravo"], is_active=False)
    assert fed.api("bravo", "read").get("/me").status_code == 401
    assert not Client().login(username="bravo@bravo.example", password=PASSWORD)


def test_only_org_admins_manage_their_own_users(fed):
    from certfed.audit.log import Context
    from certfed.platform.errors import Forbidden

    with pytest.raises(Forbidden):
        do_create_user(Context(user=fed.users["alpha"]), email="x@alpha.example",
                       organisation=fed.orgs["ALPHA"], role="analyst")  # fmt: skip
    with pytest.raises(Forbidden):
        do_create_user(Context(user=fed.users["alpha_admin"]), email="x@bravo.example",
                       organisation=fed.orgs["BRAVO"], role="analyst")  # fmt: skip
    with pytest.raises(Forbidden):
        do_create_user(Context(user=fed.users["alpha_admin"]), email="x@alpha.example",
                       organisation=fed.orgs["ALPHA"], role="analyst", is_board=True)  # fmt: skip
    u = do_create_user(Context(user=fed.users["alpha_admin"]), email="x@alpha.example",
                       organisation=fed.orgs["ALPHA"], role="viewer")  # fmt: skip
    assert u.organisation == fed.orgs["ALPHA"]
