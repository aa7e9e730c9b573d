"""STIX 2.1 export and import: every export passes the OASIS validator in strict mode, a
realistic bundle imports and re-imports without change, unknown objects come back as they
came, bad objects are reported by position, and no export shows more than the gate allows."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import orjson
import pytest
from stix2validator import ValidationOptions, validate_instance

from certfed.exchange.models import StixObject
from certfed.exchange.stix.export import export_stix
from certfed.exchange.stix.importer import import_stix_bundle
from certfed.intel.ingest import Defaults, IngestError
from certfed.intel.models import Event, Indicator
from certfed.intel.queries import EventFilters, access_event_list
from certfed.kernel import stix21
from certfed.platform.errors import Forbidden
from certfed.sharing.access import ANONYMOUS, viewer_for
from tests.exchange import scenario
from tests.exchange import stix_samples as S

pytestmark = pytest.mark.django_db
STRICT = ValidationOptions(strict=True, version="2.1")
COMMUNITY = Defaults(tlp="AMBER", distribution="community")


def assert_strictly_valid(doc: dict) -> None:
    result = validate_instance(doc, STRICT)
    assert result.is_valid, [str(e) for e in result.errors + (result.warnings or [])]


def export(viewer, filters: EventFilters | None = None) -> dict:
    doc = orjson.loads(b"".join(export_stix(viewer, access_event_list(viewer, filters))))
    assert_strictly_valid(doc)
    return doc


def by_id(doc: dict) -> dict[str, dict]:
    return {o["id"]: o for o in doc["objects"]}


def imp(fed, data, who: str = "alpha", defaults: Defaults = COMMUNITY, **kw):
    return import_stix_bundle(fed.ctx(who), fed.viewer(who), data, defaults, **kw)


# -- export -------------------------------------------------------------------------------


def test_export_of_native_events_is_strictly_valid_with_deterministic_ids(fed):
    group = str(fed.groups["alpha-vendor"].uuid)
    every_type = ["203.0.113.7", "2001:db8::7", "10.1.0.0/16", "evil.example", "phish@evil.example",
                  "http://evil.example/it's\\x", "d41d8cd98f00b204e9800998ecf8427e",
                  "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                  "CVE-2021-44228",
                  {"value": "198.51.100.1", "to_detect": False, "comment": "a scanner"},
                  {"value": "198.51.100.2", "tlp": "RED",
                   "distribution": "organisation"}]  # fmt: skip
    wave = fed.event("alpha", title="Wave", description="d", tlp="AMBER", distribution="community",
                     tags=["T1566.001", "phishing"], indicators=every_type)  # fmt: skip
    fed.event("alpha", title="Group", tlp="AMBER+STRICT", distribution="sharing_group",
              sharing_group=group, indicators=[])  # fmt: skip
    doc = export(fed.viewer("alpha"))
    objs = by_id(doc)
    assert doc["type"] == "bundle" and doc["id"].startswith("bundle--")
    report = objs[f"report--{wave.uuid}"]
    assert report["name"] == "Wave" and report["labels"] == ["T1566.001", "phishing"]
    assert report["created_by_ref"] == f"identity--{fed.orgs['ALPHA'].uuid}"
    assert objs[report["created_by_ref"]]["name"] == "ALPHA team"
    assert report["object_marking_refs"] == [stix21.TLP2_MARKING_IDS["AMBER"]]
    inds = {i.value: i for i in wave.indicators.all()}
    assert len(report["object_refs"]) == len(inds) == 12
    ip = objs[f"indicator--{inds['203.0.113.7'].uuid}"]
    assert ip["pattern"] == "[ipv4-addr:value = '203.0.113.7']" and ip["pattern_type"] == "stix"
    weird = inds["http://evil.example/it's\\x"]
    url = objs[f"indicator--{weird.uuid}"]
    assert url["pattern"] == "[url:value = 'http://evil.example/it\\'s\\\\x']"
    cve = objs[f"vulnerability--{inds['CVE-2021-44228'].uuid}"]
    assert cve["external_references"] == [{"source_name": "cve", "external_id": "CVE-2021-44228"}]
    red = objs[f"indicator--{inds['198.51.100.2'].uuid}"]
    assert red["object_marking_refs"] == [stix21.TLP2_MARKING_IDS["RED"]]
    assert not stix21.to_detect_of(objs[f"indicator--{inds['198.51.100.1'].uuid}"])
    markings = {o["id"] for o in doc["objects"] if o["type"] == "marking-definition"}
    assert markings == {stix21.TLP2_MARKING_IDS[t] for t in ("AMBER", "AMBER+STRICT", "RED")}
    empty = next(o for o in doc["objects"] if o.get("name") == "Group")
    assert empty["object_refs"] == [empty["created_by_ref"]]  # a report needs one reference


def test_export_streams_in_pieces_and_filters_apply(fed):
    for n in range(3):
        fed.event("alpha", title=f"E{n}", tlp="GREEN", distribution="federation",
                  tags=[f"t{n}"], indicators=[f"198.51.100.{n}"])  # fmt: skip
    pieces = list(export_stix(fed.viewer("vendor"), access_event_list(fed.viewer("vendor"))))
    assert len(pieces) > 3
    doc = export(fed.viewer("vendor"), EventFilters(tag="t1"))
    reports = [o for o in doc["objects"] if o["type"] == "report"]
    assert [r["name"] for r in reports] == ["E1"] and reports[0]["labels"] == ["t1"]


def test_no_export_reveals_anything_outside_the_audience(fed):
    events = scenario.build(fed)
    for who in scenario.VISIBLE:
        viewer = viewer_for(fed.users[who]) if who else ANONYMOUS
        doc = export(viewer)
        got = {
            o["id"] for o in doc["objects"] if o["type"] not in ("identity", "marking-definition")
        }
        kept_identities = {o["id"] for o in doc["objects"] if o["type"] == "identity"}
        assert got == scenario.expected_ids(events, who) - kept_identities, who
        assert kept_identities <= scenario.allowed_identities(events, who), who
        text = orjson.dumps(doc).decode()
        for hidden in {"198.51.100.5", "198.51.100.6"} if who != "alpha" else ():
            assert hidden not in text


# -- import -------------------------------------------------------------------------------


def test_a_realistic_bundle_imports_and_reimports_without_change(fed):
    bundle = S.bundle()
    assert_strictly_valid(bundle)
    result = imp(fed, bundle)
    assert (result.events_created, result.kept_created) == (2, 8)
    report = Event.objects.get(uuid=uuid.UUID(S.REPORT.split("--")[1]))
    assert report.title == "Phishing wave against banks" and report.tlp == "GREEN"
    assert report.originator_name == "ACME CERT" and report.distribution == "community"
    assert sorted(report.tags.values_list("name", flat=True)) == ["T1566", "phishing"]
    assert report.source_modified == stix21.parse_timestamp(S.T1)
    values = {(i.type, i.value): i for i in report.indicators.all()}
    assert set(values) == {
        ("url", "http://login-bank.example.com/it's"), ("sha256", S.SHA256), ("md5", S.MD5),
        ("ipv4", "198.51.100.3"), ("domain", "login-bank.example.com"), ("cve", "CVE-2021-44228"),
    }  # fmt: skip
    url = values[("url", "http://login-bank.example.com/it's")]
    assert str(url.uuid) == S.URL_IND.split("--")[1] and url.to_detect
    assert url.first_seen == stix21.parse_timestamp(S.T0)
    assert (
        url.valid_until == dt.datetime(2027, 1, 1, tzinfo=dt.UTC) and url.comment == "Landing page"
    )
    assert not values[("ipv4", "198.51.100.3")].to_detect  # observed, not for detection
    assert values[("ipv4", "198.51.100.3")].first_seen == stix21.parse_timestamp(S.T0)
    loose = Event.objects.get(uuid=uuid.UUID(bundle["id"].split("--")[1]))
    assert loose.title == f"STIX bundle {bundle['id']}"
    assert [(i.value, i.tlp) for i in loose.indicators.all()] == [("203.0.113.7", None)]
    assert loose.tlp == "AMBER"
    kept = dict(StixObject.objects.values_list("stix_id", "event_id"))
    assert set(kept) == {S.ACME, S.COMPLEX_IND, S.ATTACK, S.MALWARE, S.VULN, S.REL, S.SIGHTING,
                         S.THING}  # fmt: skip
    assert kept[S.MALWARE] == report.pk and kept[S.THING] == loose.pk

    rows = sorted(Indicator.objects.values_list("uuid", "modified"))
    kept_rows = sorted(StixObject.objects.values_list("stix_id", "modified"))
    again = imp(fed, copy.deepcopy(bundle))
    assert (again.events_created, again.events_updated, again.events_unchanged) == (0, 0, 2)
    assert (again.kept_created, again.kept_updated, again.kept_unchanged) == (0, 0, 8)
    assert sorted(Indicator.objects.values_list("uuid", "modified")) == rows
    assert sorted(StixObject.objects.values_list("stix_id", "modified")) == kept_rows


def test_export_gives_imported_objects_back_unchanged(fed):
    bundle = S.bundle()
    imp(fed, bundle)
    given = by_id(bundle)
    out = by_id(export(fed.viewer("bravo")))
    for sid in (S.THING, S.COMPLEX_IND, S.MALWARE, S.ATTACK, S.VULN, S.REL, S.SIGHTING, S.ACME):
        assert out[sid] == given[sid], sid
    report = out[S.REPORT]
    assert report["created_by_ref"] == S.ACME  # the kept identity, not a made-up one
    assert {S.URL_IND, S.HASH_IND, S.VULN, S.MALWARE, S.ATTACK, S.COMPLEX_IND} <= set(
        report["object_refs"]
    )
    assert out[S.URL_IND]["pattern"] == given[S.URL_IND]["pattern"]
    assert sum(1 for o in out.values() if o["type"] == "vulnerability") == 1  # CVE given once


def test_a_newer_version_updates_and_an_older_one_changes_nothing(fed):
    imp(fed, S.bundle())
    newer = S.bundle()
    for obj in newer["objects"]:
        if obj["id"] in (S.REPORT, S.THING):
            obj["modified"] = "2026-02-01T00:00:00.000Z"
    report = next(o for o in newer["objects"] if o["id"] == S.REPORT)
    report["name"] = "Phishing wave, updated"
    report["object_refs"].remove(S.HASH_IND)
    next(o for o in newer["objects"] if o["id"] == S.THING)["colour"] = "red"
    result = imp(fed, newer)
    assert result.events_updated == 1 and result.kept_updated == 1
    event = Event.objects.get(title="Phishing wave, updated")
    assert not event.indicators.filter(type__in=["md5", "sha256"]).exists()
    assert event.indicators.filter(type="url").exists()
    assert orjson.loads(StixObject.objects.get(stix_id=S.THING).raw)["colour"] == "red"
    older = imp(fed, S.bundle())
    assert older.events_updated == 0 and older.kept_updated == 0
    assert Event.objects.filter(title="Phishing wave, updated").exists()


def test_a_report_without_its_indicators_keeps_the_ones_already_imported(fed):
    imp(fed, S.bundle())
    only = S.bundle()
    only["id"] = f"bundle--{uuid.uuid4()}"
    report = next(o for o in only["objects"] if o["id"] == S.REPORT)
    report["modified"] = "2026-02-01T00:00:00.000Z"
    only["objects"] = [report]
    imp(fed, only)
    event = Event.objects.get(uuid=uuid.UUID(S.REPORT.split("--")[1]))
    assert event.indicators.filter(uuid=uuid.UUID(S.URL_IND.split("--")[1])).exists()
    assert event.indicators.filter(type="cve").exists()


def test_a_bad_pattern_is_rejected_by_position_and_nothing_is_written(fed):
    bad = S.bundle()
    index = next(i for i, o in enumerate(bad["objects"]) if o["id"] == S.HASH_IND)
    bad["objects"][index]["pattern"] = "[file:hashes.MD5 = "
    bad_value = S.bundle()
    index2 = next(i for i, o in enumerate(bad_value["objects"]) if o["id"] == S.LOOSE_IND)
    bad_value["objects"][index2]["pattern"] = "[ipv4-addr:value = '203.0.113.999']"
    for data, position in ((bad, index), (bad_value, index2)):
        with pytest.raises(IngestError) as exc:
            imp(fed, data)
        assert f"objects[{position}]" in str(exc.value)
        assert not Event.objects.exists() and not StixObject.objects.exists()
    kept = imp(fed, bad, skip_invalid=True)
    assert [p.position for p in kept.skipped] == [f"objects[{index}]"]
    assert index in kept.failed and kept.events_created == 2
    assert not Indicator.objects.filter(type__in=["md5", "sha256"]).exists()
    assert Indicator.objects.filter(value="203.0.113.7").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "JSON object"),
        ({"type": "indicator"}, "not a STIX bundle"),
        ({"type": "bundle", "id": "bundle--x", "objects": []}, "id"),
        ({"type": "bundle", "objects": [{"type": "indicator", "id": "malware--" + str(uuid.uuid4()),
                                         "created": S.T0, "modified": S.T0}]}, "does not match"),
        ({"type": "bundle", "objects": [{"type": "malware", "id": "malware--" + str(uuid.uuid4()),
                                         "created": "yesterday", "modified": S.T0}]}, "timestamp"),
        ({"type": "bundle", "objects": [7]}, "objects[0]: is not a JSON object"),
    ],
)  # fmt: skip
def test_malformed_input_gets_a_clear_error(fed, data, message):
    with pytest.raises(IngestError) as exc:
        imp(fed, data)
    assert message in str(exc.value)


def test_labels_from_markings_and_defaults_follow_the_sharing_rules(fed):
    tlp1 = S.bundle()
    for obj in tlp1["objects"]:
        if obj.get("object_marking_refs") == [S.GREEN]:
            obj["object_marking_refs"] = [
                "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
            ]
    imp(fed, tlp1, defaults=Defaults(tlp="GREEN", distribution="federation"))
    assert Event.objects.get(title__startswith="Phishing").tlp == "CLEAR"  # TLP 1.0 white
    red = S.bundle()
    red["id"] = f"bundle--{uuid.uuid4()}"
    red["objects"][2]["id"] = f"report--{uuid.uuid4()}"
    red["objects"][2]["object_marking_refs"] = [stix21.TLP2_MARKING_IDS["RED"]]
    with pytest.raises(IngestError) as exc:
        imp(fed, red, defaults=COMMUNITY)
    assert "objects[2]" in str(exc.value) and "RED" in str(exc.value)


def test_only_writers_import(fed):
    with pytest.raises(Forbidden):
        imp(fed, S.bundle(), who="alpha_viewer")


def test_a_bundle_exported_by_one_member_imports_into_another(fed):
    """The same content in a second organisation of this platform: ids are re-minted for it,
    the originator is kept, and a second import changes nothing."""
    source = fed.event("alpha", title="Shared", tlp="GREEN", distribution="community",
                       indicators=["198.51.100.20", "evil.example"])  # fmt: skip
    data = b"".join(export_stix(fed.viewer("bravo"), access_event_list(fed.viewer("bravo"))))
    mine = Defaults(tlp="AMBER", distribution="organisation")
    first = imp(fed, data, who="bravo", defaults=mine)
    assert first.events_created == 1 and first.indicators_written == 2
    copy_ = Event.objects.get(owner=fed.orgs["BRAVO"])
    assert copy_.uuid != source.uuid and copy_.originator_name == "ALPHA team"
    assert copy_.tlp == "GREEN" and copy_.distribution == "organisation"
    again = imp(fed, data, who="bravo", defaults=mine)
    assert (
        again.events_unchanged == 1 and Event.objects.filter(owner=fed.orgs["BRAVO"]).count() == 1
    )
    assert Event.objects.get(uuid=source.uuid).indicators.count() == 2  # ALPHA's is untouched


def test_sightings_in_a_bundle_are_recorded_once(fed):
    pytest.importorskip("certfed.intel.sightings")  # written alongside this module
    imp(fed, S.bundle())
    imp(fed, S.bundle())
    url = Indicator.objects.get(uuid=uuid.UUID(S.URL_IND.split("--")[1]))
    assert url.sighting_count == 3


def test_a_creator_kept_from_an_earlier_bundle_names_the_originator(fed):
    earlier = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
               "objects": [o for o in S.bundle()["objects"] if o["id"] == S.ACME]}  # fmt: skip
    imp(fed, earlier)
    later = S.bundle()
    later["objects"] = [o for o in later["objects"] if o["id"] in (S.REPORT, S.URL_IND)]
    next(o for o in later["objects"] if o["id"] == S.REPORT)["labels"] = ["later"]
    imp(fed, later)
    assert Event.objects.get(title__startswith="Phishing").originator_name == "ACME CERT"
    doc = export(fed.viewer("bravo"), EventFilters(tag="later"))
    objs = by_id(doc)
    assert objs[S.REPORT]["created_by_ref"] == S.ACME and S.ACME in objs  # from the other event


def test_bad_input_anywhere_gets_an_error_never_a_crash(fed):
    """Every property of every object replaced by a value of the wrong kind: the import
    succeeds or raises IngestError / ActionError, whatever the damage (a sample of them)."""
    import random

    from certfed.platform.errors import ActionError

    base = S.bundle()
    cases = [(i, key, bad) for i, obj in enumerate(base["objects"]) for key in obj
             for bad in (None, 7, [], {}, "x", ["a", 1], {"a": [1]}, True)]  # fmt: skip
    for i, key, bad in random.Random(7).sample(cases, 80):
        data = copy.deepcopy(base)
        data["objects"][i][key] = bad
        for skip in (True, False):
            try:
                imp(fed, data, skip_invalid=skip)
            except (IngestError, ActionError):
                pass
