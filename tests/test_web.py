"""The server-rendered web UI, driven through Django's test client against a small federation
built with the actions (the same path the CLI and API take)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from certfed.audit.log import CLI
from certfed.audit.models import AuditEntry
from certfed.intel.actions import do_create_event
from certfed.intel.models import Event, Indicator
from certfed.members.actions import do_create_organisation, do_create_user
from certfed.members.models import ApiKey, User
from certfed.sharing.access import viewer_for

PASSWORD = "Blue-Lantern-Quarry-42"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


class Federation:
    """Two national CERTs (ACERT, BCERT); A has an admin, an analyst and a viewer."""

    def __init__(self) -> None:
        self.a = do_create_organisation(
            CLI, name="A National CERT", short_name="ACERT", country="MY", category="full"
        )
        self.b = do_create_organisation(
            CLI, name="B National CERT", short_name="BCERT", country="ID", category="full"
        )
        self.a_admin = self._user("admin@a.example", self.a, "org-admin")
        self.a_analyst = self._user("analyst@a.example", self.a, "analyst")
        self.a_viewer = self._user("viewer@a.example", self.a, "viewer")
        self.b_analyst = self._user("analyst@b.example", self.b, "analyst")

        b = viewer_for(self.b_analyst)
        self.b_org_only = do_create_event(CLI, b, {
            "title": "B organisation-only casefile", "tlp": "AMBER",
            "distribution": "organisation", "published": True,
            "indicators": ["203.0.113.99"],
        })  # fmt: skip
        self.b_federation = do_create_event(CLI, b, {
            "title": "B federation phishing wave", "tlp": "GREEN",
            "distribution": "federation", "published": True, "tags": ["t1566.001", "phishing"],
            "indicators": ["198.51.100.7", "http://login-bank.example.com/verify"],
        })  # fmt: skip
        self.b_draft = do_create_event(CLI, b, {
            "title": "B draft not yet shared", "tlp": "GREEN",
            "distribution": "federation", "published": False,
        })  # fmt: skip
        a = viewer_for(self.a_analyst)
        self.a_event = do_create_event(CLI, a, {
            "title": "A ransomware campaign", "tlp": "AMBER", "distribution": "community",
            "published": True,
            "indicators": [
                {"value": "192.0.2.10", "comment": "C2 server", "to_detect": False,
                 "first_seen": "2024-03-01T10:00:00Z"},
                "evil-ransom.example.net",
            ],
        })  # fmt: skip

    @staticmethod
    def _user(email: str, org, role: str) -> User:
        return do_create_user(
            CLI, email=email, organisation=org, role=role, password=PASSWORD,
            full_name=email.split("@")[0].title(),
        )  # fmt: skip


@pytest.fixture
def fed(db) -> Federation:
    return Federation()


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def event_form(**overrides) -> dict:
    data = {
        "title": "Web-created event",
        "description": "Seen in a phishing campaign.",
        "date": "2024-05-01",
        "threat_level": "high",
        "tags": "T1566.001, rsit:phishing",
        "tlp": "AMBER",
        "pap": "GREEN",
        "distribution": "community",
        "sharing_group": "",
        "published": "on",
        "indicators": "",
    }
    data.update(overrides)
    return data


# -- login ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_labels_the_field_email(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert ">Email</label>" in text(response)


@pytest.mark.django_db
def test_pages_require_login(client):
    for url in ["/events/", "/events/new/", "/indicators/", "/org/users/", "/account/keys/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    assert client.get("/")["Location"] == "/events/"


def test_login_works_and_wrong_password_fails(fed, client):
    bad = client.post("/login/", {"username": "analyst@a.example", "password": "wrong-password!"})
    assert bad.status_code == 200
    assert "Please enter a correct" in text(bad)
    assert client.get("/events/").status_code == 302

    good = client.post("/login/", {"username": "Analyst@A.example", "password": PASSWORD})
    assert good.status_code == 302
    assert good["Location"] == "/events/"
    page = client.get("/events/")
    assert page.status_code == 200
    assert "analyst@a.example" in text(page)
    assert AuditEntry.objects.filter(action="login_failed", organisation=fed.a).exists()

    out = client.post("/logout/")
    assert out.status_code == 302
    assert client.get("/events/").status_code == 302


# -- events -------------------------------------------------------------------------------


def test_event_list_shows_exactly_what_the_gate_allows(fed):
    page = text(client_for(fed.a_analyst).get("/events/"))
    assert "B federation phishing wave" in page
    assert "A ransomware campaign" in page
    assert "B organisation-only casefile" not in page
    assert "B draft not yet shared" not in page
    assert "2 events" in page
    # The owner sees its own draft.
    own = text(client_for(fed.b_analyst).get("/events/"))
    assert "B draft not yet shared" in own and "B organisation-only casefile" in own


def test_event_list_filters_and_bad_filter_is_a_message(fed):
    c = client_for(fed.a_analyst)
    page = text(c.get("/events/", {"tlp": "GREEN"}))
    assert "B federation phishing wave" in page and "A ransomware campaign" not in page
    page = text(c.get("/events/", {"tag": "T1566.001", "owner": "bcert"}))
    assert "B federation phishing wave" in page and "A ransomware campaign" not in page

    bad = c.get("/events/", {"tlp": "BLUE"})
    assert bad.status_code == 422
    assert "is not a TLP 2.0 label" in text(bad)
    bad = c.get("/events/", {"since": "last tuesday"})
    assert bad.status_code == 422
    assert "is not a date-time" in text(bad)


def test_event_list_badges_and_counts(fed):
    page = text(client_for(fed.a_analyst).get("/events/"))
    assert '<span class="tlp tlp-green">TLP:GREEN</span>' in page
    assert '<span class="tlp tlp-amber">TLP:AMBER</span>' in page
    row = page.split("B federation phishing wave")[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in row


def _normalise(html: str) -> str:
    # The logout form's CSRF token is masked differently on every render.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_invisible_event_is_the_same_404_as_a_missing_one(fed):
    c = client_for(fed.a_analyst)
    hidden = c.get(f"/events/{fed.b_org_only.uuid}/")
    draft = c.get(f"/events/{fed.b_draft.uuid}/")
    missing = c.get(f"/events/{uuid.uuid4()}/")
    malformed = c.get("/events/not-a-uuid/")
    assert hidden.status_code == draft.status_code == missing.status_code == 404
    assert malformed.status_code == 404
    assert _normalise(text(hidden)) == _normalise(text(missing)) == _normalise(text(draft))
    assert _normalise(text(malformed)) == _normalise(text(missing))
    assert "B organisation-only" not in text(hidden)
    for verb in ("edit", "delete"):
        assert c.get(f"/events/{fed.b_org_only.uuid}/{verb}/").status_code == 404


def test_event_detail_shows_labels_indicators_and_is_audited(fed):
    c = client_for(fed.a_analyst)
    response = c.get(f"/events/{fed.b_federation.uuid}/")
    assert response.status_code == 200
    page = text(response)
    assert '<span class="tlp tlp-green">TLP:GREEN</span>' in page
    assert "PAP:AMBER" in page
    assert "ATT&amp;CK</span>T1566.001" in page
    assert "http://login-bank.example.com/verify" in page
    assert "198.51.100.7" in page
    # Someone else's event: no Edit/Delete.
    assert f"/events/{fed.b_federation.uuid}/edit/" not in page
    assert AuditEntry.objects.filter(
        action="event.read", object_id=str(fed.b_federation.uuid), actor=fed.a_analyst
    ).exists()
    own = text(c.get(f"/events/{fed.a_event.uuid}/"))
    assert f"/events/{fed.a_event.uuid}/edit/" in own
    assert f"/events/{fed.a_event.uuid}/delete/" in own
    viewer_page = text(client_for(fed.a_viewer).get(f"/events/{fed.a_event.uuid}/"))
    assert f"/events/{fed.a_event.uuid}/edit/" not in viewer_page


def test_create_event_from_pasted_defanged_text(fed):
    c = client_for(fed.a_analyst)
    pasted = (
        "Dear colleagues,\n"
        "the actor hosts its kit at hxxps://secure-update[.]example[.]com/login.php and\n"
        "beacons to 203.0.113[.]45 (port 443). Payload SHA-256:\n"
        f"{SHA256}\n"
        "Reply to abuse@cert-example.org if you see it. Also see CVE-2024-3400.\n"
    )
    response = c.post("/events/new/", event_form(indicators=pasted))
    assert response.status_code == 302
    event = Event.objects.get(title="Web-created event")
    assert response["Location"] == f"/events/{event.uuid}/"
    found = set(Indicator.objects.filter(event=event).values_list("type", "value"))
    assert found == {
        ("url", "https://secure-update.example.com/login.php"),
        ("ipv4", "203.0.113.45"),
        ("sha256", SHA256),
        ("email", "abuse@cert-example.org"),
        ("cve", "CVE-2024-3400"),
    }
    assert event.owner == fed.a
    assert (event.tlp, event.pap, event.distribution, event.threat_level) == (
        "AMBER", "GREEN", "community", "high",
    )  # fmt: skip
    assert event.published
    assert sorted(event.tags.values_list("name", flat=True)) == ["T1566.001", "rsit:phishing"]
    detail = text(c.get(response["Location"]))
    assert "203.0.113.45" in detail


def test_preview_shows_indicators_and_saves_nothing(fed):
    c = client_for(fed.a_analyst)
    before = Event.objects.count()
    response = c.post(
        "/events/new/", event_form(indicators="go to hxxp://bad[.]example[.]org/x", preview="1")
    )
    assert response.status_code == 200
    assert "http://bad.example.org/x" in text(response)
    assert "Indicators found: 1" in text(response)
    assert Event.objects.count() == before


def test_edit_keeps_uuids_of_kept_values_and_deletes_removed(fed):
    c = client_for(fed.a_analyst)
    event = fed.a_event
    kept = Indicator.objects.get(event=event, value="192.0.2.10")
    removed = Indicator.objects.get(event=event, value="evil-ransom.example.net")

    form = c.get(f"/events/{event.uuid}/edit/")
    assert form.status_code == 200
    assert "192.0.2.10\nevil-ransom.example.net\n" in text(form)

    data = event_form(
        title="A ransomware campaign (updated)",
        tlp="AMBER",
        distribution="community",
        indicators="192.0.2.10\nnew C2 at 198.51.100[.]200\n",
    )
    response = c.post(f"/events/{event.uuid}/edit/", data)
    assert response.status_code == 302, text(response)
    after = {i.value: i for i in Indicator.objects.filter(event=event)}
    assert set(after) == {"192.0.2.10", "198.51.100.200"}
    assert after["192.0.2.10"].uuid == kept.uuid
    assert after["192.0.2.10"].comment == "C2 server"
    assert after["192.0.2.10"].to_detect is False
    assert after["192.0.2.10"].first_seen is not None
    assert not Indicator.objects.filter(uuid=removed.uuid).exists()
    event.refresh_from_db()
    assert event.title == "A ransomware campaign (updated)"


def test_edit_of_another_organisations_event_is_403(fed):
    c = client_for(fed.a_analyst)
    assert c.get(f"/events/{fed.b_federation.uuid}/edit/").status_code == 403
    assert c.post(f"/events/{fed.b_federation.uuid}/delete/").status_code == 403
    assert Event.objects.filter(pk=fed.b_federation.pk).exists()


def test_viewer_may_not_write(fed):
    c = client_for(fed.a_viewer)
    assert c.get("/events/new/").status_code == 403
    assert c.post("/events/new/", event_form()).status_code == 403
    assert c.get(f"/events/{fed.a_event.uuid}/edit/").status_code == 403
    page = text(c.get("/events/"))
    assert "/events/new/" not in page


def test_public_amber_is_rejected_in_the_form_and_nothing_is_written(fed):
    c = client_for(fed.a_analyst)
    events, indicators = Event.objects.count(), Indicator.objects.count()
    response = c.post(
        "/events/new/",
        event_form(distribution="public", tlp="AMBER", indicators="1.2.3[.]4"),
    )
    assert response.status_code == 422
    assert "&#x27;public&#x27; is only allowed with TLP CLEAR" in text(response)
    assert (Event.objects.count(), Indicator.objects.count()) == (events, indicators)
    # The form keeps what was typed.
    assert "1.2.3[.]4" in text(response)


def test_missing_title_is_a_field_error(fed):
    response = client_for(fed.a_analyst).post("/events/new/", event_form(title=""))
    assert response.status_code == 422
    assert "must not be empty" in text(response)


def test_delete_with_confirmation(fed):
    c = client_for(fed.a_analyst)
    confirm = c.get(f"/events/{fed.a_event.uuid}/delete/")
    assert confirm.status_code == 200
    assert "Delete this event?" in text(confirm)
    assert Event.objects.filter(pk=fed.a_event.pk).exists()
    response = c.post(f"/events/{fed.a_event.uuid}/delete/")
    assert response.status_code == 302
    assert not Event.objects.filter(pk=fed.a_event.pk).exists()
    assert c.get(f"/events/{fed.a_event.uuid}/").status_code == 404


# -- indicators ----------------------------------------------------------------------------


def test_indicator_search_refangs_and_respects_the_gate(fed):
    c = client_for(fed.a_analyst)
    page = text(c.get("/indicators/", {"value": "hxxp://login-bank[.]example[.]com/verify"}))
    assert "B federation phishing wave" in page
    assert "1 indicator found" in page
    page = text(c.get("/indicators/", {"value": "198.51.100[.]7"}))
    assert "B federation phishing wave" in page
    # In B's organisation-only event: not found, like a value nobody has.
    page = text(c.get("/indicators/", {"value": "203.0.113[.]99"}))
    assert "0 indicators found" in page
    page = text(c.get("/indicators/", {"type": "ipv4"}))
    assert "192.0.2.10" in page and "198.51.100.7" in page and "203.0.113.99" not in page
    bad = c.get("/indicators/", {"type": "phone"})
    assert bad.status_code == 422
    assert "is not one of" in text(bad)


# -- organisation admin pages --------------------------------------------------------------


def test_org_users_is_for_org_admins(fed):
    assert client_for(fed.a_analyst).get("/org/users/").status_code == 403
    assert client_for(fed.a_viewer).get("/org/users/").status_code == 403
    assert client_for(fed.a_analyst).get("/org/audit/").status_code == 403


def test_org_admin_lists_adds_and_changes_users(fed):
    c = client_for(fed.a_admin)
    page = text(c.get("/org/users/"))
    assert "analyst@a.example" in page and "viewer@a.example" in page
    assert "analyst@b.example" not in page

    response = c.post("/org/users/", {
        "email": "New.Analyst@a.example", "full_name": "New Analyst", "role": "analyst",
        "password": "Another-Good-Passphrase-7",
    })  # fmt: skip
    assert response.status_code == 302
    new = User.objects.get(email="new.analyst@a.example")
    assert new.organisation == fed.a and new.role == "analyst"

    dup = c.post("/org/users/", {"email": "viewer@a.example", "role": "viewer", "password": ""})
    assert dup.status_code == 422
    assert "already has an account" in text(dup)

    assert c.post(f"/org/users/{new.pk}/change/", {"role": "viewer"}).status_code == 302
    assert c.post(f"/org/users/{new.pk}/change/", {"is_active": "0"}).status_code == 302
    new.refresh_from_db()
    assert (new.role, new.is_active) == ("viewer", False)
    # Another organisation's user is not there to change.
    assert c.post(f"/org/users/{fed.b_analyst.pk}/change/", {"role": "viewer"}).status_code == 404
    fed.b_analyst.refresh_from_db()
    assert fed.b_analyst.role == "analyst"


def test_audit_page_shows_only_own_organisation(fed):
    client_for(fed.b_analyst).get(f"/events/{fed.a_event.uuid}/")  # B reads A's event
    client_for(fed.a_analyst).get(f"/events/{fed.b_federation.uuid}/")  # A reads B's event
    page = text(client_for(fed.a_admin).get("/org/audit/"))
    assert "analyst@a.example" in page
    assert str(fed.b_federation.uuid) in page
    assert "analyst@b.example" not in page
    assert "B organisation-only casefile" not in page
    own = AuditEntry.objects.filter(organisation=fed.a).count()
    assert f"{own} entries" in page


# -- API keys ------------------------------------------------------------------------------


def test_api_key_is_shown_once_and_works(fed):
    c = client_for(fed.a_analyst)
    response = c.post("/account/keys/", {"name": "SIEM", "scope": "read"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    keys = re.findall(r"cfk_[A-Za-z0-9_\-]{20,}", text(response))
    assert len(keys) == 1
    key = keys[0]
    assert "shown only this once" in text(response)
    again = text(c.get("/account/keys/"))
    assert key not in again and key[:10] in again

    api = Client()
    me = api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert me.status_code == 200
    assert me.json()["email"] == "analyst@a.example"
    assert me.json()["key_scope"] == "read"

    record = ApiKey.objects.get(user=fed.a_analyst)
    assert c.post(f"/account/keys/{record.pk}/revoke/").status_code == 302
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_viewer_gets_the_actions_message_for_a_write_key(fed):
    c = client_for(fed.a_viewer)
    response = c.post("/account/keys/", {"name": "x", "scope": "write"})
    assert response.status_code == 422
    assert "a viewer cannot hold a write key" in text(response)
    assert not ApiKey.objects.filter(user=fed.a_viewer).exists()


def test_someone_elses_key_cannot_be_revoked(fed):
    from certfed.members.actions import do_create_api_key

    record, _ = do_create_api_key(CLI, fed.b_analyst, name="b")
    response = client_for(fed.a_analyst).post(f"/account/keys/{record.pk}/revoke/")
    assert response.status_code == 404
    record.refresh_from_db()
    assert not record.revoked


def test_event_list_paginates_in_a_fixed_number_of_queries(fed, django_assert_max_num_queries):
    b = viewer_for(fed.b_analyst)
    for i in range(60):
        do_create_event(CLI, b, {
            "title": f"Bulk event {i:02d}", "tlp": "GREEN", "distribution": "federation",
            "published": True, "tags": ["T1498", f"bulk-{i}"], "indicators": [f"192.0.2.{i + 1}"],
        })  # fmt: skip
    c = client_for(fed.a_analyst)
    c.get("/events/")  # warm the session and the user's caches
    with django_assert_max_num_queries(8):
        first = text(c.get("/events/"))
    assert "62 events" in first
    assert first.count("<tr>") == 51  # header + 50 rows
    assert "Page 1 of 2" in first
    second = text(c.get("/events/", {"page": "2", "tlp": "GREEN"}))
    assert second.count("<tr>") == 1 + 11  # 60 bulk + B's federation event - 50, header
    assert "tlp=GREEN" in second  # page links keep the filters


def test_sharing_group_select_offers_only_own_groups_and_limits_the_audience(fed):
    from certfed.sharing.actions import do_create_sharing_group

    c_org = do_create_organisation(
        CLI, name="C National CERT", short_name="CCERT", country="TH", category="full"
    )
    c_user = Federation._user("analyst@c.example", c_org, "analyst")
    ours = do_create_sharing_group(
        CLI, viewer_for(fed.a_analyst), name="A and B finance", members=["BCERT"]
    )
    theirs = do_create_sharing_group(
        CLI, viewer_for(c_user), name="C private circle", members=[]
    )  # fmt: skip
    c = client_for(fed.a_analyst)
    form = text(c.get("/events/new/"))
    assert str(ours.uuid) in form and "A and B finance" in form
    assert str(theirs.uuid) not in form and "C private circle" not in form

    refused = c.post("/events/new/", event_form(
        title="Into a foreign group", tlp="RED", distribution="sharing_group",
        sharing_group=str(theirs.uuid),
    ))  # fmt: skip
    assert refused.status_code == 422
    assert "no sharing group" in text(refused)
    assert not Event.objects.filter(title="Into a foreign group").exists()

    created = c.post("/events/new/", event_form(
        title="RED for the finance group", tlp="RED", distribution="sharing_group",
        sharing_group=str(ours.uuid), indicators="hxxp://bank-login[.]example[.]org/",
    ))  # fmt: skip
    assert created.status_code == 302
    assert "RED for the finance group" in text(client_for(fed.b_analyst).get("/events/"))
    assert "RED for the finance group" not in text(client_for(c_user).get("/events/"))
    event = Event.objects.get(title="RED for the finance group")
    assert client_for(c_user).get(f"/events/{event.uuid}/").status_code == 404
    # B reads another organisation's RED event: always audited.
    client_for(fed.b_analyst).get("/events/")
    assert AuditEntry.objects.filter(
        action="event.list_read", organisation=fed.b, detail__restricted=[str(event.uuid)]
    ).exists()


def test_edit_keeps_an_indicators_own_labels(fed):
    event = do_create_event(CLI, viewer_for(fed.a_analyst), {
        "title": "Mixed labels", "tlp": "GREEN", "distribution": "federation", "published": True,
        "indicators": [
            {"value": "192.0.2.200", "tlp": "AMBER+STRICT", "distribution": "organisation"},
            "192.0.2.201",
        ],
    })  # fmt: skip
    strict = Indicator.objects.get(event=event, value="192.0.2.200")
    c = client_for(fed.a_analyst)
    response = c.post(
        f"/events/{event.uuid}/edit/",
        event_form(title="Mixed labels", tlp="GREEN", distribution="federation",
                   indicators="192.0.2.200\n192.0.2.201\n"),
    )  # fmt: skip
    assert response.status_code == 302, text(response)
    strict.refresh_from_db()
    assert (strict.tlp, strict.distribution) == ("AMBER+STRICT", "organisation")
    # B still cannot see the narrowed indicator, only the other one.
    page = text(client_for(fed.b_analyst).get(f"/events/{event.uuid}/"))
    assert "192.0.2.201" in page and "192.0.2.200" not in page


def test_edit_keeps_a_value_the_extractor_would_not_find_on_its_own(fed):
    # Stored through the API, a domain under a non-public TLD; extract() skips such names in
    # free text, but an unchanged line must keep it.
    event = do_create_event(CLI, viewer_for(fed.a_analyst), {
        "title": "Internal names", "tlp": "AMBER", "distribution": "organisation",
        "indicators": ["c2.corp-lan.internal"],
    })  # fmt: skip
    before = Indicator.objects.get(event=event)
    c = client_for(fed.a_analyst)
    form = text(c.get(f"/events/{event.uuid}/edit/"))
    assert "c2.corp-lan.internal\n" in form
    response = c.post(
        f"/events/{event.uuid}/edit/",
        event_form(title="Internal names", tlp="AMBER", distribution="organisation",
                   published="", indicators="c2.corp-lan.internal\n"),
    )  # fmt: skip
    assert response.status_code == 302, text(response)
    assert list(Indicator.objects.filter(event=event).values_list("uuid", flat=True)) == [
        before.uuid
    ]
