"""The TAXII 2.1 server: the OASIS taxii2-client against a real running server (paging
through 10,000 objects, adding objects), media types and errors per the specification, every
filter, and the gate: no collection, object, count or header shows anything outside the
caller's audience."""

from __future__ import annotations

import base64
import uuid

import orjson
import pytest
from django.test import Client
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import ApiRoot, Server, as_pages

from certfed.audit.log import CLI
from certfed.audit.models import AuditEntry
from certfed.exchange.models import TaxiiStatus
from certfed.intel.ingest import IncomingEvent, IncomingIndicator, do_ingest
from certfed.intel.models import Event, Indicator
from certfed.kernel import stix21
from certfed.sharing.access import viewer_for_org
from certfed.sharing.collections import COMMUNITY_ID, FEDERATION_ID, PUBLIC_ID
from tests.exchange import scenario
from tests.exchange import stix_samples as S

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/api/"


class Taxii:
    """A Django test client speaking TAXII with one API key (Bearer), or none."""

    def __init__(self, key: str | None = None, **headers) -> None:
        self.client = Client()
        self.headers = {"HTTP_ACCEPT": TAXII, **headers}
        if key:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"

    def get(self, path: str, **params):
        return self.client.get(path if path.startswith("/") else ROOT + path, params,
                               **self.headers)  # fmt: skip

    def post(self, path: str, body, content_type: str = TAXII):
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        return self.client.post(ROOT + path, data, content_type=content_type, **self.headers)

    def json(self, path: str, **params) -> dict:
        response = self.get(path, **params)
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == TAXII
        return orjson.loads(response.content)

    def all_objects(self, collection_id: str, limit: int = 3, **params) -> list[dict]:
        out, page = [], {"limit": limit, **params}
        while True:
            body = self.json(f"collections/{collection_id}/objects/", **page)
            out += body.get("objects", [])
            if not body.get("more"):
                return out
            assert body["next"]
            page["next"] = body["next"]


def taxii(fed, who: str | None, scope: str = "read") -> Taxii:
    return Taxii(fed.keys[(who, scope)] if who else None)


def ids(objects: list[dict]) -> list[str]:
    return [o["id"] for o in objects]


# -- resources and media types ------------------------------------------------------------


@pytest.mark.django_db
def test_discovery_api_root_and_collections(fed):
    t = taxii(fed, "alpha")
    discovery = t.json("/taxii2/")
    assert discovery["default"] == "http://testserver/taxii2/api/"
    assert discovery["api_roots"] == ["http://testserver/taxii2/api/"]
    root = t.json("")
    assert root["versions"] == [TAXII] and root["max_content_length"] > 0
    titles = {c["title"]: c for c in t.json("collections/")["collections"]}
    assert set(titles) == {"ALPHA only", "Sharing group: Alpha and vendor", "Community",
                           "Federation", "Public"}  # fmt: skip
    assert titles["ALPHA only"]["id"] == str(fed.orgs["ALPHA"].uuid)
    assert titles["Community"]["id"] == COMMUNITY_ID
    assert all(c["can_read"] and not c["can_write"] for c in titles.values())  # a read key
    writer = taxii(fed, "alpha", "write").json("collections/")["collections"]
    assert all(c["can_write"] for c in writer)
    assert titles["Public"]["media_types"] == ["application/stix+json;version=2.1"]
    one = t.json(f"collections/{COMMUNITY_ID}/")
    assert one == titles["Community"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "titles"),
    [
        ("vendor", {"VENDOR only", "Sharing group: Alpha and vendor", "Federation", "Public"}),
        ("gamma", {"GAMMA only", "Community", "Federation", "Public"}),
        ("affil", {"AFFIL only", "Federation", "Public"}),
        (None, {"Public"}),
    ],
)
def test_each_caller_gets_one_collection_per_audience_it_reads(fed, who, titles):
    found = taxii(fed, who).json("collections/").get("collections", [])
    assert {c["title"] for c in found} == titles


@pytest.mark.django_db
def test_media_types_and_errors(fed):
    key = fed.keys[("alpha", "read")]
    for accept in ("application/json", "application/taxii+json;version=2.0", "text/html"):
        r = Taxii(key, HTTP_ACCEPT=accept).get("collections/")
        assert r.status_code == 406 and r["Content-Type"] == TAXII
        assert orjson.loads(r.content)["http_status"] == "406"
    for accept in ("application/taxii+json", "*/*", "application/taxii+json;version=2.1;q=1"):
        assert Taxii(key, HTTP_ACCEPT=accept).get("collections/").status_code == 200
    stix = Taxii(key, HTTP_ACCEPT="application/stix+json;version=2.1")
    r = stix.get(f"collections/{COMMUNITY_ID}/objects/")
    assert r.status_code == 200 and r["Content-Type"] == "application/stix+json;version=2.1"
    assert stix.get("collections/").status_code == 406  # not an object resource
    bad = Taxii("cfk_not-a-key").get("collections/")
    assert bad.status_code == 401 and "Basic" in bad["WWW-Authenticate"]
    assert set(orjson.loads(bad.content)) == {"title", "description", "http_status"}
    wrong_user = base64.b64encode(f"bravo@bravo.example:{key}".encode()).decode()
    r = Taxii(None, HTTP_AUTHORIZATION=f"Basic {wrong_user}").get("collections/")
    assert r.status_code == 401
    basic = base64.b64encode(f"ALPHA@alpha.example:{key}".encode()).decode()
    assert Taxii(None, HTTP_AUTHORIZATION=f"Basic {basic}").get("collections/").status_code == 200
    writer = taxii(fed, "alpha", "write")
    r = writer.post(f"collections/{COMMUNITY_ID}/objects/", {"objects": []}, "application/json")
    assert r.status_code == 415
    r = writer.client.delete(f"{ROOT}collections/{COMMUNITY_ID}/objects/", **writer.headers)
    assert r.status_code == 405
    assert writer.get(f"collections/{COMMUNITY_ID}/objects/", limit="x").status_code == 400
    assert writer.get(f"collections/{COMMUNITY_ID}/objects/", next="nonsense").status_code == 400
    r = writer.get(f"collections/{COMMUNITY_ID}/objects/", added_after="yesterday")
    assert r.status_code == 400


# -- the gate -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_collection_reveals_anything_outside_the_audience(fed):
    events = scenario.build(fed)
    not_found = orjson.loads(Taxii().get(f"collections/{uuid.uuid4()}/").content)
    for who in scenario.VISIBLE:
        if who == "susp":
            r = taxii(fed, "susp").get("collections/")
            assert r.status_code == 401  # suspended: its keys stop working at once
            continue
        t = taxii(fed, who)
        seen: list[str] = []
        everything: dict[str, dict] = {}
        for c in t.json("collections/").get("collections", []):
            objects = t.all_objects(c["id"])
            manifest = t.json(f"collections/{c['id']}/manifest/", limit=5000)
            assert ids(manifest.get("objects", [])) == ids(objects)
            seen += [
                o["id"] for o in objects if o["type"] not in ("identity", "marking-definition")
            ]
            identities = {o["id"] for o in objects if o["type"] == "identity"}
            kept = identities & {S.ACME}
            assert identities <= scenario.allowed_identities(events, who), who
            seen += sorted(kept)
            everything.update({o["id"]: o for o in objects})
        assert len(seen) == len(set(seen)), who  # each object in exactly one collection
        assert set(seen) == scenario.expected_ids(events, who), who
        bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                  "objects": list(everything.values())}  # fmt: skip
        result = validate_instance(bundle, ValidationOptions(strict=True, version="2.1"))
        assert result.is_valid, [str(e) for e in result.errors + (result.warnings or [])]

    # What another organisation keeps answers exactly like what does not exist.
    bravo = taxii(fed, "bravo")
    for path in (f"collections/{fed.orgs['ALPHA'].uuid}/",
                 f"collections/{fed.groups['alpha-vendor'].uuid}/objects/",
                 f"collections/{fed.orgs['ALPHA'].uuid}/manifest/"):  # fmt: skip
        r = bravo.get(path)
        assert r.status_code == 404 and orjson.loads(r.content) == not_found
    hidden = Indicator.objects.get(value="198.51.100.5")
    for oid in (f"indicator--{hidden.uuid}", f"indicator--{uuid.uuid4()}",
                f"report--{events['alpha_draft'].uuid}"):  # fmt: skip
        for suffix in ("", "versions/"):
            r = bravo.get(f"collections/{FEDERATION_ID}/objects/{oid}/{suffix}")
            assert r.status_code == 404, oid
            assert orjson.loads(r.content) == orjson.loads(
                bravo.get(f"collections/{FEDERATION_ID}/objects/indicator--{uuid.uuid4()}/").content
            )
    # The only object of a narrowed indicator's event the vendor can see by id is the report.
    r = taxii(fed, "vendor").json(
        f"collections/{FEDERATION_ID}/objects/report--{events['alpha_federation'].uuid}/"
    )
    (report,) = r["objects"]
    assert f"indicator--{hidden.uuid}" not in report["object_refs"]
    assert len(report["object_refs"]) == 1


@pytest.mark.django_db
def test_reading_restricted_content_of_another_member_is_audited(fed):
    scenario.build(fed)
    taxii(fed, "bravo").all_objects(COMMUNITY_ID, limit=1000)
    entry = AuditEntry.objects.filter(action="taxii.read").get()
    assert entry.actor == fed.users["bravo"] and entry.object_id == COMMUNITY_ID
    assert entry.detail["count"] == 2  # the AMBER+STRICT report and its indicator


# -- filters and paging -------------------------------------------------------------------


@pytest.mark.django_db
def test_filters_paging_headers_and_versions(fed):
    first = fed.event("alpha", title="first", tlp="GREEN", distribution="community",
                      indicators=["198.51.100.1", "CVE-2021-44228"])  # fmt: skip
    second = fed.event("alpha", title="second", tlp="GREEN", distribution="community",
                       indicators=["198.51.100.2"])  # fmt: skip
    t = taxii(fed, "bravo")
    path = f"collections/{COMMUNITY_ID}/objects/"
    everything = t.all_objects(COMMUNITY_ID, limit=1000)
    assert len(everything) == 5 + 1 + 2 + 3  # markings, ALPHA's identity, reports, indicators
    assert ids(t.all_objects(COMMUNITY_ID, limit=2)) == ids(everything)
    page = t.get(path, limit=2)
    body = orjson.loads(page.content)
    assert body["more"] is True and len(body["objects"]) == 2 and body["next"]
    assert page["X-TAXII-Date-Added-First"] <= page["X-TAXII-Date-Added-Last"]

    last = t.get(path, limit=1000)["X-TAXII-Date-Added-Last"]
    assert t.json(path, added_after=last) == {}
    manifest = t.json(f"collections/{COMMUNITY_ID}/manifest/")["objects"]
    added = {m["id"]: m["date_added"] for m in manifest}
    after = t.json(path, added_after=added[f"report--{first.uuid}"])
    assert f"report--{first.uuid}" not in ids(after["objects"])
    assert f"report--{second.uuid}" in ids(after["objects"])

    reports = t.json(path, **{"match[type]": "report"})["objects"]
    assert {o["name"] for o in reports} == {"first", "second"}
    both = t.json(path, **{"match[type]": "vulnerability,identity"})["objects"]
    assert sorted(o["type"] for o in both) == ["identity", "vulnerability"]
    ind = first.indicators.get(value="198.51.100.1")
    by_id = t.json(path, **{"match[id]": f"indicator--{ind.uuid},report--{second.uuid}"})
    assert sorted(ids(by_id["objects"])) == sorted([f"indicator--{ind.uuid}",
                                                    f"report--{second.uuid}"])  # fmt: skip
    assert t.json(path, **{"match[spec_version]": "2.0"}) == {}
    assert len(t.json(path, **{"match[spec_version]": "2.1"})["objects"]) == len(everything)

    one = t.json(f"collections/{COMMUNITY_ID}/objects/indicator--{ind.uuid}/")["objects"]
    version = one[0]["modified"]
    for v in ("last", "first", "all", version):
        got = t.json(f"collections/{COMMUNITY_ID}/objects/indicator--{ind.uuid}/",
                     **{"match[version]": v})  # fmt: skip
        assert ids(got["objects"]) == [f"indicator--{ind.uuid}"], v
    r = t.get(f"collections/{COMMUNITY_ID}/objects/indicator--{ind.uuid}/",
              **{"match[version]": "2020-01-01T00:00:00.000Z"})  # fmt: skip
    assert r.status_code == 404
    versions = t.json(f"collections/{COMMUNITY_ID}/objects/indicator--{ind.uuid}/versions/")
    assert versions == {"more": False, "versions": [version]}


# -- adding objects -----------------------------------------------------------------------


@pytest.mark.django_db
def test_adding_objects_answers_202_with_a_status(fed):
    writer = taxii(fed, "alpha", "write")
    envelope = {"objects": S.bundle()["objects"]}
    bad = next(i for i, o in enumerate(envelope["objects"]) if o["id"] == S.LOOSE_IND)
    envelope["objects"][bad]["pattern"] = "[ipv4-addr:value = "
    r = writer.post(f"collections/{COMMUNITY_ID}/objects/", envelope)
    assert r.status_code == 202 and r["Content-Type"] == TAXII
    status = orjson.loads(r.content)
    assert status["status"] == "complete" and status["total_count"] == len(envelope["objects"])
    assert status["failure_count"] == 1 and status["failures"][0]["id"] == S.LOOSE_IND
    assert "not a valid STIX pattern" in status["failures"][0]["message"]
    assert status["success_count"] == len(envelope["objects"]) - 1
    assert writer.json(f"status/{status['id']}/") == status
    assert taxii(fed, "bravo").get(f"status/{status['id']}/").status_code == 404
    event = Event.objects.get(title="Phishing wave against banks")
    assert event.distribution == "community" and event.owner == fed.orgs["ALPHA"]
    seen = ids(taxii(fed, "bravo").all_objects(COMMUNITY_ID, limit=1000))
    assert S.REPORT in seen and S.THING in seen

    assert Event.objects.filter(title="Added over TAXII to Community").count() == 1
    again = orjson.loads(writer.post(f"collections/{COMMUNITY_ID}/objects/", envelope).content)
    assert again["failure_count"] == 1 and Event.objects.count() == 2  # nothing new

    clear = {"objects": [{"type": "indicator", "spec_version": "2.1", "id": S.LOOSE_IND,
                          "created": S.T0, "modified": S.T0, "pattern_type": "stix",
                          "pattern": "[ipv4-addr:value = '203.0.113.77']", "valid_from": S.T0,
                          "object_marking_refs": [stix21.TLP2_MARKING_IDS["CLEAR"]]}]}  # fmt: skip
    status = orjson.loads(writer.post(f"collections/{PUBLIC_ID}/objects/", clear).content)
    assert status["success_count"] == 1
    assert Indicator.objects.get(value="203.0.113.77").event.distribution == "public"
    unmarked = {"objects": [dict(clear["objects"][0], object_marking_refs=[],
                                 id=f"indicator--{uuid.uuid4()}")]}  # fmt: skip
    status = orjson.loads(writer.post(f"collections/{PUBLIC_ID}/objects/", unmarked).content)
    assert status["failure_count"] == 1 and "public" in status["failures"][0]["message"]


@pytest.mark.django_db
def test_objects_added_to_a_sharing_group_reach_its_members_only(fed):
    group = str(fed.groups["alpha-vendor"].uuid)
    status = orjson.loads(taxii(fed, "alpha", "write").post(
        f"collections/{group}/objects/", {"objects": S.bundle()["objects"]}).content)  # fmt: skip
    assert status["failure_count"] == 0
    event = Event.objects.get(title="Phishing wave against banks")
    assert (
        event.distribution == "sharing_group" and event.sharing_group == fed.groups["alpha-vendor"]
    )
    assert S.REPORT in ids(taxii(fed, "vendor").all_objects(group, limit=1000))
    for who in ("bravo", "gamma"):
        assert taxii(fed, who).get(f"collections/{group}/objects/").status_code == 404
        for c in taxii(fed, who).json("collections/")["collections"]:
            assert S.REPORT not in ids(taxii(fed, who).all_objects(c["id"], limit=1000))


@pytest.mark.django_db
def test_only_writers_add_objects(fed):
    envelope = {"objects": S.bundle()["objects"]}
    for t, code in ((taxii(fed, "alpha", "read"), 403), (taxii(fed, "alpha_viewer", "read"), 403),
                    (Taxii(), 401)):  # fmt: skip
        r = t.post(f"collections/{PUBLIC_ID}/objects/", envelope)
        assert r.status_code == code and orjson.loads(r.content)["http_status"] == str(code)
    r = taxii(fed, "bravo", "write").post(f"collections/{fed.orgs['ALPHA'].uuid}/objects/", {})
    assert r.status_code == 404
    r = taxii(fed, "alpha", "write").post(f"collections/{COMMUNITY_ID}/objects/", b"{oops")
    assert r.status_code == 400
    assert not Event.objects.exists() and not TaxiiStatus.objects.exists()


# -- the OASIS client against a running server --------------------------------------------


def _many(fed, n: int) -> Event:
    indicators = [IncomingIndicator(value=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
                  for i in range(n)]  # fmt: skip
    event = IncomingEvent(title="Ten thousand", tlp="GREEN", distribution="community",
                          indicators=indicators)  # fmt: skip
    do_ingest(CLI, viewer_for_org(fed.orgs["ALPHA"]), [event])
    return Event.objects.get(title="Ten thousand")


@pytest.mark.django_db(transaction=True)
def test_taxii2_client_pages_through_ten_thousand_objects(fed, live_server):
    event = _many(fed, 10_000)
    user = fed.users["bravo"].email
    root = Server(f"{live_server.url}/taxii2/", user=user,
                  password=fed.keys[("bravo", "read")]).default  # fmt: skip
    community = next(c for c in root.collections if c.id == COMMUNITY_ID)
    seen, pages = [], 0
    for envelope in as_pages(community.get_objects, per_request=1000):
        pages += 1
        seen += [o["id"] for o in envelope.get("objects", [])]
    assert len(seen) == len(set(seen)) == 10_000 + 1 + 1 + 5  # + report, identity, markings
    assert pages == 11 and f"report--{event.uuid}" in seen
    only = [o["id"] for env in as_pages(community.get_objects, per_request=2500, type="report")
            for o in env.get("objects", [])]  # fmt: skip
    assert only == [f"report--{event.uuid}"]
    manifest = community.get_manifest(limit=10)
    assert manifest["more"] and len(manifest["objects"]) == 10


@pytest.mark.django_db(transaction=True)
def test_taxii2_client_adds_objects_and_waits_for_completion(fed, live_server):
    root = ApiRoot(f"{live_server.url}/taxii2/api/", user=fed.users["alpha"].email,
                   password=fed.keys[("alpha", "write")])  # fmt: skip
    community = next(c for c in root.collections if c.id == COMMUNITY_ID)
    assert community.can_write
    status = community.add_objects({"objects": S.bundle()["objects"]}, wait_for_completion=True,
                                   poll_interval=0.1, timeout=10)  # fmt: skip
    assert status.status == "complete" and status.failure_count == 0
    assert status.success_count == status.total_count == len(S.bundle()["objects"])
    got = community.get_object(S.THING)["objects"]
    assert got == [next(o for o in S.bundle()["objects"] if o["id"] == S.THING)]
    assert community.object_versions(S.THING)["versions"] == [S.T1]


def test_a_page_ends_before_its_report_references_pass_the_budget(fed, monkeypatch):
    from certfed.exchange.taxii21 import pages

    for n in range(3):
        event = IncomingEvent(title=f"e{n}", tlp="GREEN", distribution="community",
                              indicators=[IncomingIndicator(value=f"192.0.2.{10 * n + i}")
                                          for i in range(4)])  # fmt: skip
        do_ingest(CLI, viewer_for_org(fed.orgs["ALPHA"]), [event])
    t = taxii(fed, "bravo")
    everything = t.all_objects(COMMUNITY_ID, limit=100)
    monkeypatch.setattr(pages, "REFERENCE_BUDGET", 5)  # one report of 4 references a page
    seen, body, params = [], {"more": True}, {"limit": 100}
    while body.get("more"):
        body = t.json(f"collections/{COMMUNITY_ID}/objects/", **params)
        reports = [o for o in body["objects"] if o["type"] == "report"]
        assert len(reports) <= 1 and sum(len(r["object_refs"]) for r in reports) <= 5
        seen += body["objects"]
        params["next"] = body.get("next")
    assert sorted(o["id"] for o in seen) == sorted(o["id"] for o in everything)
    assert len(seen) == len({o["id"] for o in seen}) == 3 + 12 + 1 + 5  # + identity, markings
