"""The REST API under /api/v1: shapes, auth, errors, and the gate on every endpoint."""

from __future__ import annotations

import uuid

import pytest

from certfed.audit.models import AuditEntry
from certfed.intel.models import Event, Indicator

pytestmark = pytest.mark.django_db

IOCS = [
    {"value": "hxxp://evil[.]example[.]com/login", "comment": "phishing page"},
    {"type": "ipv4", "value": "203.0.113[.]7"},
    {"value": "44d88612fea8a8f36de82e1278abb02f"},
    "CVE-2024-3400",
]


def _create(api, **data):
    body = {
        "title": "Phishing wave against banks",
        "tlp": "AMBER",
        "pap": "GREEN",
        "distribution": "federation",
        "published": True,
        "tags": ["t1566.001", "phishing"],
        "indicators": IOCS,
    } | data
    return api.post("/events", body)


def test_create_event_returns_the_documented_shape(fed):
    r = _create(fed.api("alpha"))
    assert r.status_code == 201, r.content
    e = r.json()
    assert {"uuid", "title", "description", "tlp", "pap", "distribution", "sharing_group",
            "owner", "published", "tags", "indicators"} <= set(e)  # fmt: skip
    assert e["tlp"] == "AMBER" and e["pap"] == "GREEN" and e["distribution"] == "federation"
    assert e["owner"] == "ALPHA" and e["originator"] == "ALPHA" and e["published"] is True
    assert e["sharing_group"] is None
    assert e["tags"] == ["T1566.001", "phishing"]
    got = {(i["type"], i["value"]) for i in e["indicators"]}
    assert got == {
        ("url", "http://evil.example.com/login"),
        ("ipv4", "203.0.113.7"),
        ("md5", "44d88612fea8a8f36de82e1278abb02f"),
        ("cve", "CVE-2024-3400"),
    }
    first = next(i for i in e["indicators"] if i["type"] == "url")
    assert {"uuid", "type", "value", "comment", "to_detect"} <= set(first)
    assert first["comment"] == "phishing page" and first["to_detect"] is True
    # GET answers the same document.
    again = fed.api("alpha").get(f"/events/{e['uuid']}").json()
    assert again["indicators"] == e["indicators"]


def test_bad_indicator_is_rejected_naming_field_and_value_and_nothing_is_written(fed):
    r = _create(fed.api("alpha"), indicators=["1.2.3.4", {"type": "ipv4", "value": "1.2.3.999"}])
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "indicators[1].value" in detail and "1.2.3.999" in detail and "ipv4" in detail
    assert Event.objects.count() == 0 and Indicator.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"tlp": "AMBER", "distribution": "public"}, "distribution"),
        ({"tlp": "RED", "distribution": "community"}, "distribution"),
        ({"tlp": "RED", "distribution": "federation"}, "distribution"),
        ({"tlp": "PURPLE"}, "tlp"),
        ({"distribution": "everyone"}, "distribution"),
        ({"distribution": "sharing_group"}, "sharing_group"),
        ({"distribution": "sharing_group", "sharing_group": str(uuid.uuid4())}, "sharing_group"),
        ({"title": ""}, "title"),
        ({"date": "yesterday"}, "date"),
        ({"tags": ["tlp:red"]}, "tags[0]"),
        ({"threat_level": "apocalyptic"}, "threat_level"),
    ],
)
def test_label_rules_are_enforced_with_a_clear_message(fed, data, field):
    r = _create(fed.api("alpha"), indicators=[], **data)
    assert r.status_code == 422, r.content
    assert r.json()["field"] == field
    assert Event.objects.count() == 0


def test_red_is_allowed_to_a_named_sharing_group(fed):
    group = str(fed.groups["alpha-vendor"].uuid)
    r = _create(fed.api("alpha"), tlp="RED", distribution="sharing_group", sharing_group=group)
    assert r.status_code == 201, r.content
    assert r.json()["sharing_group"] == group
    uid = r.json()["uuid"]
    assert fed.api("vendor", "read").get(f"/events/{uid}").status_code == 200
    assert fed.api("bravo", "read").get(f"/events/{uid}").status_code == 404


def test_a_child_may_narrow_but_never_loosen(fed):
    loose = _create(fed.api("alpha"), tlp="AMBER", distribution="community",
                    indicators=[{"value": "198.51.100.1", "tlp": "GREEN"}])  # fmt: skip
    assert loose.status_code == 422 and loose.json()["field"] == "indicators[0].tlp"
    wide = [{"value": "198.51.100.1", "distribution": "federation"}]
    wider = _create(fed.api("alpha"), tlp="AMBER", distribution="community", indicators=wide)
    assert wider.status_code == 422 and wider.json()["field"] == "indicators[0].distribution"
    r = _create(
        fed.api("alpha"),
        tlp="GREEN",
        distribution="federation",
        indicators=[
            "198.51.100.1",
            {"value": "198.51.100.2", "tlp": "RED", "distribution": "organisation"},
        ],
    )
    assert r.status_code == 201, r.content
    uid = r.json()["uuid"]
    mine = fed.api("alpha").get(f"/events/{uid}").json()
    assert {i["value"]: i["tlp"] for i in mine["indicators"]} == {
        "198.51.100.1": "GREEN",
        "198.51.100.2": "RED",
    }
    theirs = fed.api("vendor", "read").get(f"/events/{uid}").json()
    assert [i["value"] for i in theirs["indicators"]] == ["198.51.100.1"]
    assert theirs["indicator_count"] == 1
    hits = fed.api("vendor", "read").get("/indicators", value="198.51.100.2").json()
    assert hits["count"] == 0


def test_invisible_event_answers_exactly_like_a_missing_one(fed):
    uid = _create(fed.api("alpha"), distribution="organisation").json()["uuid"]
    other = fed.api("bravo", "read")
    hidden = other.get(f"/events/{uid}")
    missing = other.get(f"/events/{uuid.uuid4()}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    for method in (lambda a: a.patch(f"/events/{uid}", {"title": "x"}),
                   lambda a: a.delete(f"/events/{uid}")):  # fmt: skip
        assert method(fed.api("bravo")).status_code == 404
    assert other.get("/events").json()["count"] == 0
    assert other.get("/indicators", value="203.0.113.7").json()["count"] == 0
    assert other.get("/events/not-a-uuid").status_code == 404


def test_drafts_are_seen_by_their_owner_only(fed):
    uid = _create(fed.api("alpha"), published=False).json()["uuid"]
    assert fed.api("alpha_viewer", "read").get(f"/events/{uid}").status_code == 200
    assert fed.api("bravo", "read").get(f"/events/{uid}").status_code == 404
    assert fed.api("alpha").patch(f"/events/{uid}", {"published": True}).status_code == 200
    assert fed.api("bravo", "read").get(f"/events/{uid}").status_code == 200


def test_community_reaches_full_and_general_members_only(fed):
    uid = _create(fed.api("alpha"), distribution="community").json()["uuid"]
    for label, code in [("bravo", 200), ("gamma", 200), ("vendor", 404), ("affil", 404)]:
        assert fed.api(label, "read").get(f"/events/{uid}").status_code == code, label


def test_public_events_need_no_account_and_others_stay_hidden(fed):
    pub = _create(fed.api("alpha"), tlp="CLEAR", distribution="public").json()["uuid"]
    _create(fed.api("alpha"), title="member only", distribution="federation")
    anon = fed.api(None)
    listing = anon.get("/events").json()
    assert [e["uuid"] for e in listing["results"]] == [pub]
    assert anon.get(f"/events/{pub}").status_code == 200
    assert anon.get("/me").status_code == 401
    assert anon.post("/events", {"title": "x"}).status_code == 401


def test_suspended_organisation_sees_nothing_and_its_keys_stop(suspended):
    fed = suspended
    _create(fed.api("alpha"), tlp="CLEAR", distribution="public")
    r = fed.api("susp", "read").get("/events")
    assert r.status_code == 401  # the key stopped working at once
    assert fed.api("susp").post("/events", {"title": "x"}).status_code == 401


def test_bad_key_is_refused_not_downgraded_to_public(fed):
    _create(fed.api("alpha"), tlp="CLEAR", distribution="public")
    r = fed.api(None).client.get("/api/v1/events", HTTP_AUTHORIZATION="Bearer cfk_wrong")
    assert r.status_code == 401
    assert "detail" in r.json()


def test_read_key_and_viewer_role_cannot_write(fed):
    r = _create(fed.api("alpha", "read"))
    assert r.status_code == 403 and "read-only" in r.json()["detail"]
    assert _create(fed.api("alpha_viewer", "read")).status_code == 403
    assert Event.objects.count() == 0


def test_patch_changes_fields_and_keeps_indicator_uuids(fed):
    e = _create(fed.api("alpha")).json()
    url_uuid = next(i["uuid"] for i in e["indicators"] if i["type"] == "url")
    r = fed.api("alpha").patch(
        f"/events/{e['uuid']}",
        {"title": "Renamed", "tlp": "AMBER+STRICT", "indicators": [
            {"value": "http://evil.example.com/login", "comment": "still live"},
            "evil2.example.org",
        ]},
    )  # fmt: skip
    assert r.status_code == 200, r.content
    got = r.json()
    assert got["title"] == "Renamed" and got["tlp"] == "AMBER+STRICT"
    by_value = {i["value"]: i for i in got["indicators"]}
    assert set(by_value) == {"http://evil.example.com/login", "evil2.example.org"}
    assert by_value["http://evil.example.com/login"]["uuid"] == url_uuid
    assert by_value["http://evil.example.com/login"]["comment"] == "still live"
    assert Indicator.objects.count() == 2


def test_patch_cannot_break_the_rules(fed):
    e = _create(fed.api("alpha"), tlp="CLEAR", distribution="public").json()
    r = fed.api("alpha").patch(f"/events/{e['uuid']}", {"tlp": "RED"})
    assert r.status_code == 422 and r.json()["field"] == "distribution"
    assert Event.objects.get().tlp == "CLEAR"


def test_only_the_owner_may_change_or_delete(fed):
    e = _create(fed.api("alpha")).json()
    assert fed.api("bravo").patch(f"/events/{e['uuid']}", {"title": "x"}).status_code == 403
    assert fed.api("bravo").delete(f"/events/{e['uuid']}").status_code == 403
    assert fed.api("alpha").delete(f"/events/{e['uuid']}").status_code == 204
    assert fed.api("alpha").get(f"/events/{e['uuid']}").status_code == 404
    assert Indicator.objects.count() == 0


def test_list_filters_and_pagination(fed):
    for i in range(7):
        _create(fed.api("alpha"), title=f"e{i}", tags=["T1486"] if i % 2 else ["ddos"],
                tlp="GREEN" if i < 3 else "AMBER", indicators=[f"198.51.100.{i}"])  # fmt: skip
    _create(fed.api("bravo"), title="bravo's", indicators=[])
    api = fed.api("gamma", "read")
    page1 = api.get("/events", limit=3).json()
    assert page1["count"] == 8 and len(page1["results"]) == 3 and page1["next"]
    page3 = api.get("/events", limit=3, offset=6).json()
    assert len(page3["results"]) == 2 and page3["next"] is None and page3["previous"]
    seen = {e["uuid"] for e in page1["results"]}
    assert api.get("/events", tlp="green").json()["count"] == 3
    assert api.get("/events", tag="t1486").json()["count"] == 3
    assert api.get("/events", owner="BRAVO").json()["count"] == 1
    assert api.get("/events", distribution="federation").json()["count"] == 8
    assert api.get("/events", since="2000-01-01").json()["count"] == 8
    assert api.get("/events", since="2999-01-01T00:00:00Z").json()["count"] == 0
    assert len(seen) == 3
    for bad in ({"tlp": "BLUE"}, {"since": "soon"}, {"limit": 0}, {"limit": 10_000}):
        r = api.get("/events", **bad)
        assert r.status_code == 422, bad
        assert "detail" in r.json()


def test_indicator_search_refangs_and_filters_by_type(fed):
    _create(fed.api("alpha"))
    api = fed.api("bravo", "read")
    r = api.get("/indicators", value="203.0.113[.]7").json()
    assert r["count"] == 1 and r["results"][0]["owner"] == "ALPHA"
    assert api.get("/indicators", value="hxxp://evil.example[.]com/login").json()["count"] == 1
    assert api.get("/indicators", type="cve").json()["count"] == 1
    assert api.get("/indicators", type="md5", value="203.0.113.7").json()["count"] == 0
    assert api.get("/indicators", contains="evil.example").json()["count"] == 1
    assert api.get("/indicators", type="nonsense").status_code == 422


def test_sharing_groups_endpoints(fed):
    api = fed.api("bravo")
    r = api.post("/sharing-groups", {"name": "Banks", "members": ["GAMMA", "ALPHA"]})
    assert r.status_code == 201, r.content
    assert r.json()["members"] == ["ALPHA", "BRAVO", "GAMMA"] and r.json()["owner"] == "BRAVO"
    gamma = fed.api("gamma", "read").get("/sharing-groups").json()
    assert gamma["count"] == 1 and gamma["results"][0]["name"] == "Banks"
    vendor = fed.api("vendor", "read").get("/sharing-groups").json()["results"]
    assert [g["name"] for g in vendor] == ["Alpha and vendor"]
    bad = api.post("/sharing-groups", {"name": "X", "members": ["NOPE"]})
    assert bad.status_code == 422 and "NOPE" in bad.json()["detail"]


def test_organisations_and_me(fed):
    orgs = fed.api("vendor", "read").get("/organisations", limit=500).json()["results"]
    assert {o["short_name"] for o in orgs} >= {"ALPHA", "BRAVO", "VENDOR"}
    assert {o["category"] for o in orgs} == {"full", "general", "commercial", "affiliate"}
    me = fed.api("alpha", "read").get("/me").json()
    assert me["email"] == "alpha@alpha.example" and me["organisation"]["short_name"] == "ALPHA"
    assert me["role"] == "analyst" and me["key_scope"] == "read" and me["auth"] == "api-key"


def test_errors_are_json_never_500(fed):
    api = fed.api("alpha")
    assert api.post("/events", raw="{not json").status_code == 400
    assert api.post("/events", raw='{"title": 5}').status_code == 422
    assert (
        api.post("/events", {"title": "x", "indicators": [{"comment": "no value"}]}).status_code
        == 422
    )
    assert api.post("/events", {"title": "x", "bogus": 1}).status_code in (201, 422)
    r = api.post("/events", {"title": "x", "indicators": ["not an indicator at all"]})
    assert r.status_code == 422 and "not an indicator at all" in r.json()["detail"]
    r = api.post("/events", {"title": "x", "indicators": ["1.2.3.4", "1.2.3[.]4"]})
    assert r.status_code == 422 and "indicators[0]" in r.json()["detail"]


def test_openapi_document_and_docs_page(fed):
    from django.test import Client

    c = Client()
    doc = c.get("/api/v1/openapi.json").json()
    paths = {"/api/v1/events", "/api/v1/events/{event_uuid}", "/api/v1/indicators",
             "/api/v1/organisations", "/api/v1/sharing-groups", "/api/v1/me"}  # fmt: skip
    assert paths <= set(doc["paths"])
    assert c.get("/api/v1/docs").status_code == 200
    # The batch match is a plain streaming view, documented in the same document.
    match = doc["paths"]["/api/v1/match"]["post"]
    assert set(match["requestBody"]["content"]) == {"text/plain", "application/x-ndjson"}
    assert "application/x-ndjson" in match["responses"]["200"]["content"]
    assert {next(iter(s)) for s in match["security"]} <= set(doc["components"]["securitySchemes"])
    assert match["responses"]["401"]["content"]["application/json"]["schema"]["$ref"] in {
        f"#/components/schemas/{name}" for name in doc["components"]["schemas"]
    }


def test_writes_and_key_use_are_audited(fed):
    e = _create(fed.api("alpha")).json()
    entry = AuditEntry.objects.filter(action="event.create").get()
    assert entry.actor == fed.users["alpha"] and entry.object_id == e["uuid"]
    assert entry.ip == "127.0.0.1" and entry.via == "api"
    uses = AuditEntry.objects.filter(action="apikey.use", actor=fed.users["alpha"])
    assert uses.count() == 1 and uses.get().detail["path"] == "/api/v1/events"
    key = fed.keys[("alpha", "write")]
    assert not AuditEntry.objects.filter(detail__icontains=key[8:]).exists()


def test_reading_restricted_content_of_another_org_is_audited(fed):
    group = str(fed.groups["alpha-vendor"].uuid)
    uid = _create(fed.api("alpha"), tlp="RED", distribution="sharing_group",
                  sharing_group=group).json()["uuid"]  # fmt: skip
    fed.api("vendor", "read").get(f"/events/{uid}")
    fed.api("vendor", "read").get("/events")
    reads = AuditEntry.objects.filter(actor=fed.users["vendor"], action__startswith="event.")
    assert {r.action for r in reads} == {"event.read", "event.list_read"}
    assert reads.get(action="event.read").object_id == uid


def test_searching_restricted_indicators_of_another_org_is_audited(fed):
    group = str(fed.groups["alpha-vendor"].uuid)
    uid = _create(fed.api("alpha"), tlp="AMBER+STRICT", distribution="sharing_group",
                  sharing_group=group).json()["uuid"]  # fmt: skip
    assert fed.api("vendor", "read").get("/indicators", value="203.0.113.7").json()["count"] == 1
    entry = AuditEntry.objects.get(actor=fed.users["vendor"], action="event.list_read")
    assert entry.detail["restricted"] == [uid]
