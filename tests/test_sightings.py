"""Sightings: reported through the API, counted on indicators, and shared by the same rules
as anything else — nobody learns of a sighting (or its count) they may not see."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from certfed.audit.models import AuditEntry
from certfed.intel.models import Indicator, Sighting
from certfed.intel.sightings import IncomingSighting, do_add_sightings
from certfed.platform.errors import Forbidden, Invalid, NotFound


def indicator(event, value: str) -> Indicator:
    return event.indicators.get(value=value)


def counts(fed, who: str, event, value: str) -> tuple[int, int, str | None]:
    doc = fed.api(who, "read").get(f"/events/{event.uuid}").json()
    (ind,) = [i for i in doc["indicators"] if i["value"] == value]
    return ind["sighting_count"], ind["false_positive_count"], ind["last_sighted"]


@pytest.fixture
def shared_event(fed):
    return fed.event("alpha", title="Shared", distribution="federation",
                     indicators=["seen.example", "203.0.113.9"])  # fmt: skip


def test_post_a_sighting_by_value_and_see_it_counted(fed, shared_event):
    when = "2026-11-01T10:00:00Z"
    r = fed.api("alpha").post("/sightings", {"value": "SEEN[.]example", "source": "ids-1",
                                             "time": when, "count": 3})  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["count"] == 1
    (s,) = body["results"]
    assert s["type"] == "sighting" and s["value"] == "seen.example" and s["count"] == 3
    assert s["owner"] == "ALPHA" and s["tlp"] == "AMBER" and s["distribution"] == "organisation"
    assert s["event"] == str(shared_event.uuid) and s["source"] == "ids-1"
    assert counts(fed, "alpha", shared_event, "seen.example") == (3, 0, "2026-11-01T10:00:00Z")
    ind = indicator(shared_event, "seen.example")
    assert (ind.sighting_count, ind.last_sighted) == (
        3,
        dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC),
    )
    entry = AuditEntry.objects.filter(action="sighting.add").latest("id")
    assert entry.detail["sightings"] == 1 and entry.detail["types"] == {"sighting": 1}


def test_a_value_sights_every_visible_indicator_holding_it(fed):
    a = fed.event("alpha", title="A", distribution="federation", indicators=["multi.example"])
    b = fed.event("bravo", title="B", distribution="federation", indicators=["multi.example"])
    hidden = fed.event("bravo", title="Hidden", distribution="organisation",
                       indicators=["multi.example"])  # fmt: skip
    r = fed.api("gamma").post("/sightings", {"value": "multi.example"})
    assert r.status_code == 201 and r.json()["count"] == 2
    assert {s["event"] for s in r.json()["results"]} == {str(a.uuid), str(b.uuid)}
    assert indicator(hidden, "multi.example").sighting_count == 0


def test_an_invisible_indicator_uuid_answers_404_like_a_missing_one(fed):
    hidden = fed.event("bravo", title="Hidden", distribution="organisation",
                       indicators=["secret.example"])  # fmt: skip
    secret = indicator(hidden, "secret.example")
    api = fed.api("alpha")
    for target in (str(secret.uuid), str(uuid.uuid4())):
        r = api.post("/sightings", {"indicator": target})
        assert r.status_code == 404 and r.json()["field"] == "indicator"
    assert api.post("/sightings", {"value": "secret.example"}).status_code == 404
    assert Sighting.objects.count() == 0


def test_bad_input_is_422_naming_the_field_and_writes_nothing(fed, shared_event):
    api = fed.api("alpha")
    cases = [
        ({"type": "seen"}, "type"),
        ({}, "value"),
        ({"value": "seen.example", "indicator": str(uuid.uuid4())}, "indicator"),
        ({"value": "not a value"}, "value"),
        ({"indicator": "nope"}, "indicator"),
        ({"value": "seen.example", "count": 0}, "count"),
        ({"value": "seen.example", "count": "3"}, "count"),
        ({"value": "seen.example", "time": "yesterday"}, "time"),
        ({"value": "seen.example", "time": "2999-01-01T00:00:00Z"}, "time"),
        ({"value": "seen.example", "tlp": "PURPLE"}, "tlp"),
        ({"value": "seen.example", "distribution": "public"}, "distribution"),
        ({"value": "seen.example", "tlp": "RED", "distribution": "federation"}, "distribution"),
        ({"value": "seen.example", "source": "x" * 300}, "source"),
        ({"value": "seen.example", "colour": "blue"}, "colour"),
    ]
    for body, field in cases:
        r = api.post("/sightings", body)
        assert r.status_code == 422, (body, r.content)
        assert r.json()["field"] == field, (body, r.json())
    r = api.post("/sightings", [{"value": "seen.example"}, {"value": "seen.example", "count": -1}])
    assert r.status_code == 422 and r.json()["field"] == "sightings[1].count"
    assert api.post("/sightings", raw="{oops").status_code == 422
    assert api.post("/sightings", raw="42").status_code == 422
    assert Sighting.objects.count() == 0


def test_roles_and_keys(suspended, shared_event):
    fed = suspended
    assert fed.api("alpha", "read").post("/sightings", {"value": "seen.example"}).status_code == 403
    assert fed.api("alpha_viewer", "read").post(
        "/sightings", {"value": "seen.example"}).status_code == 403  # fmt: skip
    assert fed.api(None).post("/sightings", {"value": "seen.example"}).status_code == 401
    assert fed.api("susp").post("/sightings", {"value": "seen.example"}).status_code == 401
    assert fed.api("susp", "read").get("/sightings").status_code == 401
    with pytest.raises(Forbidden):
        do_add_sightings(fed.ctx("alpha_viewer"), fed.viewer("alpha_viewer"),
                         [IncomingSighting("sighting", "seen.example", None)])  # fmt: skip


def test_sightings_of_others_are_invisible_unless_shared(fed, shared_event):
    bravo = fed.api("bravo")
    # Organisation-only (the default): BRAVO alone knows.
    assert bravo.post("/sightings", {"value": "seen.example", "count": 5}).status_code == 201
    assert counts(fed, "bravo", shared_event, "seen.example")[0] == 5
    assert counts(fed, "alpha", shared_event, "seen.example") == (0, 0, None)
    assert fed.api("alpha", "read").get("/sightings").json()["count"] == 0
    # The stored total counts everything, but is never what a reader is shown.
    assert indicator(shared_event, "seen.example").sighting_count == 5
    # Shared with the community: ALPHA (full) sees it, the vendor (commercial) does not.
    r = bravo.post("/sightings", {"value": "seen.example", "type": "false-positive",
                                  "distribution": "community"})  # fmt: skip
    assert r.status_code == 201
    assert counts(fed, "alpha", shared_event, "seen.example") == (0, 1, None)
    assert counts(fed, "vendor", shared_event, "seen.example") == (0, 0, None)
    listed = fed.api("alpha", "read").get("/sightings").json()
    assert listed["count"] == 1 and listed["results"][0]["type"] == "false-positive"
    assert fed.api("vendor", "read").get("/sightings").json()["count"] == 0
    # Search results carry the same per-reader counts.
    hits = fed.api("alpha", "read").get("/indicators", value="seen.example").json()["results"]
    assert hits[0]["false_positive_count"] == 1 and hits[0]["sighting_count"] == 0


def test_a_sighting_never_reaches_beyond_the_indicator_audience(fed):
    narrow = fed.event("alpha", title="Group", distribution="sharing_group",
                       sharing_group=str(fed.groups["alpha-vendor"].uuid),
                       indicators=["group.example"])  # fmt: skip
    r = fed.api("vendor").post("/sightings", {"value": "group.example",
                                              "distribution": "federation"})  # fmt: skip
    assert r.status_code == 201
    assert counts(fed, "alpha", narrow, "group.example")[0] == 1
    # BRAVO is in the sighting's audience (federation) but may not see the indicator.
    assert fed.api("bravo", "read").get("/sightings").json()["count"] == 0


def test_expiration_changes_only_the_callers_own_indicators(fed, shared_event):
    theirs = fed.event("bravo", title="Theirs", distribution="federation",
                       indicators=["seen.example"])  # fmt: skip
    when = timezone.now() - dt.timedelta(hours=1)
    expire = IncomingSighting("expiration", "seen.example", None, time=when)
    n = do_add_sightings(fed.ctx("alpha"), fed.viewer("alpha"), [expire])
    assert n == 2
    assert indicator(shared_event, "seen.example").valid_until == when
    assert indicator(theirs, "seen.example").valid_until is None
    assert Sighting.objects.filter(type="expiration").count() == 2
    # Expirations are not sightings: no count moves.
    assert indicator(theirs, "seen.example").sighting_count == 0


def test_bulk_is_atomic(fed, shared_event):
    items = [IncomingSighting("sighting", "seen.example", None) for _ in range(500)]
    items.append(IncomingSighting("sighting", None, uuid.uuid4()))
    with pytest.raises(NotFound):
        do_add_sightings(fed.ctx("alpha"), fed.viewer("alpha"), items)
    assert Sighting.objects.count() == 0
    with pytest.raises(Invalid):
        do_add_sightings(fed.ctx("alpha"), fed.viewer("alpha"), [])
    assert do_add_sightings(fed.ctx("alpha"), fed.viewer("alpha"), items[:500]) == 500
    assert indicator(shared_event, "seen.example").sighting_count == 500


def test_sighting_list_filters(fed, shared_event):
    api = fed.api("alpha")
    ind = indicator(shared_event, "203.0.113.9")
    api.post("/sightings", [{"indicator": str(ind.uuid)}, {"value": "seen.example",
                                                          "type": "false-positive"}])  # fmt: skip
    read = fed.api("alpha", "read")
    assert read.get("/sightings", indicator=str(ind.uuid)).json()["count"] == 1
    assert read.get("/sightings", value="seen[.]example").json()["count"] == 1
    assert read.get("/sightings", type="false-positive").json()["count"] == 1
    assert read.get("/sightings", type="nope").status_code == 422
    assert read.get("/sightings", indicator="nope").status_code == 422
