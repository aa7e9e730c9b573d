"""Bad input never answers 500 and never writes half; the admin site cannot widen anyone's
reach. Each case here was once a way to get a 500, lose data or read around the gate."""

from __future__ import annotations

import pytest
from django.test import Client

from certfed.audit.log import CLI
from certfed.audit.models import AuditEntry
from certfed.intel.models import Indicator
from certfed.members.actions import do_create_user, do_revoke_api_key
from certfed.members.models import ApiKey
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2024-02-30"},
        {"since": "2024-13-01"},
        {"since": "0001-01-01T00:00:00+01:00"},
        {"since": "9999-12-31T23:59:59-01:00"},
        {"offset": "10000000000000000000"},
        {"q": "a\x00b"},
        {"limit": "abc"},
        {"published": "maybe"},
    ],
)
def test_bad_list_parameters_are_4xx_json(fed, params):
    r = fed.api("alpha", "read").get("/events", **params)
    assert 400 <= r.status_code < 500, (params, r.status_code)
    assert "detail" in r.json()


@pytest.mark.parametrize(
    "body",
    [
        {"title": "t", "date": "2024-02-30"},
        {"title": "t", "date": "0000-01-01"},
        {"title": "t", "indicators": [{"value": "192.0.2.1", "first_seen": "2024-02-30"}]},
        {"title": "t", "indicators": [{"value": "192.0.2.1",
                                       "valid_until": "0001-01-01T00:00:00+05:00"}]},
        {"title": "t\u0000x"},
        {"title": "t", "tags": ["a\u0000"]},
    ],
)  # fmt: skip
def test_bad_event_bodies_are_4xx_json_and_write_nothing(fed, body):
    r = fed.api("alpha").post("/events", body)
    assert 400 <= r.status_code < 500, (body, r.status_code)
    assert "detail" in r.json()
    assert not Indicator.objects.exists()


def test_api_errors_outside_ninja_are_json_too(fed):
    api = fed.api("alpha")
    missing = api.get("/no-such-endpoint")
    assert missing.status_code == 404 and missing.json()["detail"]
    wrong = api.client.put("/api/v1/events", "{}", content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {api.key}")  # fmt: skip
    assert wrong.status_code == 405 and "allowed" in wrong.json()["detail"]


def test_repeated_indicator_uuid_in_one_request_is_422(fed):
    u = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    r = fed.api("alpha").post("/events", {"title": "t", "indicators": [
        {"value": "192.0.2.3", "uuid": u}, {"value": "192.0.2.4", "uuid": u}]})  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "indicators[1].uuid"


def test_patch_never_drops_an_item_matched_twice(fed):
    e = fed.api("alpha").post("/events", {"title": "t", "indicators": ["1.1.1.1", "2.2.2.2"]})
    uid = e.json()["uuid"]
    a = next(i["uuid"] for i in e.json()["indicators"] if i["value"] == "1.1.1.1")
    r = fed.api("alpha").patch(f"/events/{uid}", {"indicators": [
        {"uuid": a, "value": "3.3.3.3"}, {"value": "1.1.1.1"}]})  # fmt: skip
    assert r.status_code == 200, r.content
    values = {i["value"]: i["uuid"] for i in r.json()["indicators"]}
    assert set(values) == {"3.3.3.3", "1.1.1.1"} and values["3.3.3.3"] == a


def test_a_child_sharing_group_must_be_its_whole_audience(fed):
    group = str(fed.groups["alpha-vendor"].uuid)
    r = fed.api("alpha").post("/events", {"title": "t", "distribution": "community",
        "indicators": [{"value": "192.0.2.9", "distribution": "sharing_group",
                        "sharing_group": group}]})  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "indicators[0].sharing_group"
    ok = fed.api("alpha").post("/events", {"title": "t", "distribution": "federation",
        "indicators": [{"value": "192.0.2.9", "distribution": "sharing_group",
                        "sharing_group": group}]})  # fmt: skip
    assert ok.status_code == 201


def test_reading_another_orgs_red_indicator_in_a_list_is_audited(fed):
    group = str(fed.groups["alpha-vendor"].uuid)
    fed.api("alpha").post("/events", {"title": "t", "tlp": "GREEN", "distribution": "federation",
        "published": True, "indicators": [{"value": "6.6.6.6", "tlp": "RED",
        "distribution": "sharing_group", "sharing_group": group}]})  # fmt: skip
    fed.api("vendor", "read").get("/events")
    assert AuditEntry.objects.filter(actor=fed.users["vendor"], action="event.list_read").exists()


def test_an_invalid_key_is_audited_without_the_key(fed):
    r = Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer cfk_guessing_1234567890")
    assert r.status_code == 401
    entry = AuditEntry.objects.get(action="apikey.invalid")
    assert entry.object_id == "cfk_gu" and "guessing" not in str(entry.detail)


@pytest.fixture
def root(fed):
    user = do_create_user(CLI, email="root@alpha.example", organisation=fed.orgs["ALPHA"],
                          role="viewer", password=PASSWORD, is_platform_admin=True)  # fmt: skip
    c = Client()
    c.force_login(user)
    return user, c


def test_platform_admin_cannot_move_anyone_into_another_organisation(fed, root):
    user, c = root
    secret = fed.event("bravo", title="bravo-only", distribution="organisation", tlp="RED")
    r = c.post(f"/admin/members/user/{user.pk}/change/", {
        "email": user.email, "organisation": fed.orgs["BRAVO"].pk, "role": "org-admin",
        "is_active": "on", "is_platform_admin": "on", "_save": "Save"})  # fmt: skip
    assert r.status_code in (200, 302)
    user.refresh_from_db()
    assert user.organisation == fed.orgs["ALPHA"]
    assert c.get(f"/api/v1/events/{secret.uuid}").status_code == 404
    victim = fed.users["alpha"]
    c.post(f"/admin/members/user/{victim.pk}/change/", {
        "email": victim.email, "organisation": fed.orgs["BRAVO"].pk, "role": "analyst",
        "is_active": "on", "_save": "Save"})  # fmt: skip
    victim.refresh_from_db()
    assert victim.organisation == fed.orgs["ALPHA"]
    assert AuditEntry.objects.filter(action="admin.user.change", actor=user).exists()


def test_a_revoked_key_cannot_be_brought_back_in_the_admin(fed, root):
    _, c = root
    key = ApiKey.objects.filter(user=fed.users["bravo"], scope="read").get()
    do_revoke_api_key(CLI, key)
    c.post(f"/admin/members/apikey/{key.pk}/change/", {"name": "", "scope": "write",
                                                       "_save": "Save"})  # fmt: skip
    key.refresh_from_db()
    assert key.revoked and key.scope == "read"
    assert fed.api("bravo", "read").get("/me").status_code == 401
