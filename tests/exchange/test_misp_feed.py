"""The MISP feed of each collection: manifest.json, hashes.csv and {uuid}.json agree, hold
only the collection's events, load in PyMISP, and answer only to those who may read them."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from django.test import Client
from pymisp import MISPEvent

from certfed.audit.models import AuditEntry
from certfed.sharing.collections import COMMUNITY_ID, FEDERATION_ID, PUBLIC_ID, collections_for
from tests.exchange.test_exports import build_world

pytestmark = pytest.mark.django_db
HASH_LINE = re.compile(r"^([0-9a-f]{32}),([0-9a-f-]{36})$")


def get(fed, path: str, label: str | None = None, header: str | None = None):
    client = Client()
    extra = {}
    if header is not None:
        extra["HTTP_AUTHORIZATION"] = header
    elif label is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {fed.keys[(label, 'read')]}"
    response = client.get(f"/feeds/misp/{path}", **extra)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def read_feed(fed, collection_id: str, label: str | None):
    """(manifest, hash lines, {uuid: MISPEvent}) of one feed, checking each file loads."""
    response, body = get(fed, f"{collection_id}/manifest.json", label)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    manifest = json.loads(body)
    response, body = get(fed, f"{collection_id}/hashes.csv", label)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = body.decode().splitlines()
    assert all(HASH_LINE.match(line) for line in lines), lines[:3]
    events = {}
    for event_uuid in manifest:
        response, body = get(fed, f"{collection_id}/{event_uuid}.json", label)
        assert response.status_code == 200
        ev = MISPEvent()
        ev.load(body.decode())
        events[event_uuid] = ev
    return manifest, lines, events


@pytest.mark.parametrize("label", ["alpha", "bravo", "gamma", "vendor", "affil", None])
def test_each_feed_holds_its_collections_events_and_files_agree(fed, label):
    world = build_world(fed)
    viewer = fed.viewer(label) if label else None
    from certfed.sharing.access import ANONYMOUS

    collections = collections_for(viewer or ANONYMOUS)
    seen_events, seen_items = world.visible(label)
    by_uuid = {str(e.uuid): name for name, e in world.events.items()}
    items_by_uuid = {i.uuid: i for i in seen_items}
    fed_in_feeds = set()
    for collection in collections:
        manifest, lines, events = read_feed(fed, collection.id, label)
        for event_uuid, ev in events.items():
            name = by_uuid[event_uuid]
            fed_in_feeds.add(event_uuid)
            assert event_uuid in seen_events and name != "draft"
            event = world.events[name]
            assert event.distribution == collection.distribution
            # The manifest entry is what PyMISP computes from the event file itself.
            entry = manifest[event_uuid]
            mine = ev.manifest[event_uuid]
            assert entry["info"] == mine["info"] and entry["date"] == mine["date"]
            assert int(entry["timestamp"]) == mine["timestamp"]
            assert entry["Orgc"] == mine["Orgc"]
            assert [t["name"] for t in entry["Tag"]] == [t["name"] for t in mine["Tag"]]
            assert int(entry["threat_level_id"]) == int(mine["threat_level_id"])
            # Attributes: the event's indicators of this audience, nothing narrowed away.
            attrs = {a.uuid: a.value for a in ev.attributes}
            assert set(attrs) == {i.uuid for i in world.items[name]}
            for attr_uuid, value in attrs.items():
                assert items_by_uuid[attr_uuid].value == value
        # hashes.csv: exactly md5(value),event uuid for every attribute of the feed.
        wanted = sorted(
            f"{hashlib.md5(a.value.encode()).hexdigest()},{u}"  # noqa: S324 - MISP's format
            for u, ev in events.items()
            for a in ev.attributes
        )
        assert sorted(lines) == wanted
    # Every published event the reader may see is in exactly one of its feeds.
    published = {str(e.uuid) for n, e in world.events.items() if n != "draft"}
    assert fed_in_feeds == seen_events & published


def test_narrowed_indicators_and_drafts_stay_out_of_wider_feeds(fed):
    world = build_world(fed)
    for label in ("alpha", "bravo"):
        _, body = get(fed, f"{FEDERATION_ID}/hashes.csv", label)
        narrow = hashlib.md5(world.narrowed.value.encode()).hexdigest()  # noqa: S324
        assert narrow not in body.decode()
        _, body = get(fed, f"{FEDERATION_ID}/manifest.json", label)
        assert str(world.events["draft"].uuid) not in body.decode()
    bravo_org = str(fed.orgs["BRAVO"].uuid)
    manifest, _, events = read_feed(fed, bravo_org, "bravo")
    assert set(manifest) == {str(world.events["organisation"].uuid)}


def test_event_files_are_feed_shaped(fed):
    world = build_world(fed)
    uuid_ = world.events["public"].uuid
    _, body = get(fed, f"{PUBLIC_ID}/{uuid_}.json")
    doc = json.loads(body)["Event"]
    assert "distribution" not in doc and all("distribution" not in a for a in doc["Attribute"])
    assert {t["name"] for t in doc["Tag"]} >= {"tlp:clear"}
    assert doc["published"] is True and doc["Orgc"]["name"] == "ALPHA"


@pytest.mark.parametrize("how", ["bearer", "plain", "basic", "session"])
def test_every_way_misp_authenticates_is_accepted(fed, how):
    world = build_world(fed)
    key = fed.keys[("vendor", "read")]
    client = Client()
    extra = {}
    if how == "bearer":
        extra["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    elif how == "plain":
        extra["HTTP_AUTHORIZATION"] = key
    elif how == "basic":
        token = base64.b64encode(f"vendor@vendor.example:{key}".encode()).decode()
        extra["HTTP_AUTHORIZATION"] = f"Basic {token}"
    else:
        client.force_login(fed.users["vendor"])
    group = str(fed.groups["alpha-vendor"].uuid)
    response = client.get(f"/feeds/misp/{group}/manifest.json", **extra)
    assert response.status_code == 200
    assert set(json.loads(b"".join(response.streaming_content))) == {
        str(world.events["group"].uuid)
    }


def test_bad_credentials_are_refused_not_downgraded(fed, suspended):
    build_world(fed)
    key = fed.keys[("vendor", "read")]
    wrong_email = base64.b64encode(f"alpha@alpha.example:{key}".encode()).decode()
    for header in ("Bearer nope", "nope", f"Basic {wrong_email}", "Basic !!!",
                   f"Bearer {fed.keys[('susp', 'read')]}"):  # fmt: skip
        response, body = get(fed, f"{PUBLIC_ID}/manifest.json", header=header)
        assert response.status_code == 401, header
        assert "WWW-Authenticate" in response and b"Event" not in body


def test_unreadable_collections_answer_like_missing_ones(fed):
    world = build_world(fed)
    bravo_org = str(fed.orgs["BRAVO"].uuid)
    group = str(fed.groups["alpha-vendor"].uuid)
    missing = "00000000-0000-4000-8000-000000000000"
    for label, collection in [("alpha", bravo_org), ("gamma", group), ("vendor", COMMUNITY_ID),
                              (None, FEDERATION_ID), ("affil", COMMUNITY_ID)]:  # fmt: skip
        for name in ("manifest.json", "hashes.csv", f"{world.events['public'].uuid}.json", ""):
            absent, absent_body = get(fed, f"{missing}/{name}", label)
            hidden, hidden_body = get(fed, f"{collection}/{name}", label)
            assert absent.status_code == hidden.status_code == 404, (label, collection, name)
            assert absent_body == hidden_body
    # An event of another collection, a draft, or nonsense: the same 404 inside a feed.
    for name in (world.events["community"].uuid, world.events["draft"].uuid, "x"):
        response, body = get(fed, f"{FEDERATION_ID}/{name}.json", "bravo")
        assert response.status_code == 404 and json.loads(body) == {"detail": "not found"}


def test_the_public_feed_needs_no_credentials_and_the_index_lists_feeds(fed):
    world = build_world(fed)
    manifest, lines, events = read_feed(fed, PUBLIC_ID, None)
    assert set(manifest) == {str(world.events["public"].uuid)}
    response, body = get(fed, "")
    assert [f["id"] for f in json.loads(body)["feeds"]] == [PUBLIC_ID]
    response, body = get(fed, "", "gamma")
    ids = [f["id"] for f in json.loads(body)["feeds"]]
    assert ids == [c.id for c in collections_for(fed.viewer("gamma"))]
    response, body = get(fed, f"{PUBLIC_ID}/")
    assert json.loads(body)["manifest"].endswith(f"/feeds/misp/{PUBLIC_ID}/manifest.json")
    # A feed URL configured with a trailing slash: MISP asks for ".../<id>//manifest.json".
    response, body = get(fed, f"{PUBLIC_ID}//manifest.json")
    assert response.status_code == 200


def test_feeds_answer_in_a_fixed_number_of_queries(fed, django_assert_max_num_queries):
    build_world(fed)
    for n in range(5):
        values = [f"more-{n}-{i}.example" for i in range(20)]
        fed.event("bravo", title=f"more {n}", tlp="GREEN", distribution="federation",
                  tags=[f"t{n}"], indicators=values)  # fmt: skip
    with django_assert_max_num_queries(12):
        read_feed_files = get(fed, f"{FEDERATION_ID}/manifest.json", "bravo")
        assert len(json.loads(read_feed_files[1])) == 6
    with django_assert_max_num_queries(10):
        _, body = get(fed, f"{FEDERATION_ID}/hashes.csv", "bravo")
        assert len(body.decode().splitlines()) == 7 + 100


def test_reading_restricted_foreign_content_through_a_feed_is_audited(fed):
    group = fed.groups["alpha-vendor"]
    event = fed.event("alpha", tlp="RED", distribution="sharing_group",
                      sharing_group=str(group.uuid), indicators=["red-group.example"])  # fmt: skip
    manifest, _, events = read_feed(fed, str(group.uuid), "vendor")
    assert set(manifest) == {str(event.uuid)}
    entries = AuditEntry.objects.filter(action="export.read")
    assert entries.count() == 3  # manifest, hashes, the event file
    assert all(e.detail["restricted"] == [str(event.uuid)] for e in entries)
