"""MISP JSON: importing what PyMISP and MISP write, exporting what PyMISP reads back."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from pymisp import MISPEvent, MISPObject

from certfed.audit.models import AuditEntry
from certfed.exchange.misp.importer import import_misp
from certfed.intel.ingest import Defaults, IngestError
from certfed.intel.models import Event, Indicator

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


def pymisp_event(**kw) -> MISPEvent:
    """An event built with PyMISP's own API, as a MISP user's script would."""
    ev = MISPEvent(force_timestamps=True)  # keep the timestamp, as MISP's own exports do
    ev.info = kw.get("info", "Phishing wave against ministries")
    ev.distribution = kw.get("distribution", 2)
    ev.threat_level_id = 1
    ev.analysis = 2
    ev.set_date("2026-01-04")
    ev.timestamp = kw.get("timestamp", T0)
    ev.published = True
    ev.add_tag("tlp:green")
    ev.add_tag("PAP:AMBER")
    ev.add_tag("rsit:fraud")
    ev.add_attribute("ip-dst", "203.0.113.5", comment="c2", to_ids=True)
    ev.add_attribute("domain", "login-bank.example", to_ids=True)
    ev.add_attribute("url", "https://login-bank.example/verify", to_ids=False)
    ev.add_attribute("email-src", "hr@login-bank.example")
    ev.add_attribute("ip-src", "198.51.100.0/24")
    ev.add_attribute("vulnerability", "CVE-2024-3400")
    ev.add_attribute("filename|sha1", "invoice.exe|" + "b" * 40)
    ev.add_attribute("domain", "narrow.example", distribution=0)
    file_object = MISPObject("file")
    file_object.add_attribute("sha256", value="a" * 64)
    file_object.add_attribute("md5", value="d41d8cd98f00b204e9800998ecf8427e")
    ev.add_object(file_object)
    return ev


def _import(fed, data, label="alpha", **kw):
    return import_misp(fed.ctx(label), fed.viewer(label), data, Defaults(), **kw)


def test_an_event_built_with_pymisp_imports(fed):
    ev = pymisp_event()
    result = _import(fed, ev.to_json().encode())
    assert result.events_created == 1 and result.indicators_written == 10
    event = Event.objects.get(uuid=ev.uuid)
    assert (event.title, event.tlp, event.pap, event.distribution) == (
        "Phishing wave against ministries", "GREEN", "AMBER", "federation",
    )  # fmt: skip
    assert event.threat_level == "high" and event.date == dt.date(2026, 1, 4)
    assert event.source_modified == T0 and event.published
    assert [t.name for t in event.tags.all()] == ["rsit:fraud"]
    got = {(i.type, i.value): i for i in event.indicators.all()}
    assert set(got) == {
        ("ipv4", "203.0.113.5"), ("domain", "login-bank.example"),
        ("url", "https://login-bank.example/verify"), ("email", "hr@login-bank.example"),
        ("cidr", "198.51.100.0/24"), ("cve", "CVE-2024-3400"), ("sha1", "b" * 40),
        ("domain", "narrow.example"), ("sha256", "a" * 64),
        ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
    }  # fmt: skip
    ip = got[("ipv4", "203.0.113.5")]
    assert str(ip.uuid) == ev.attributes[0].uuid and ip.comment == "c2" and ip.to_detect
    assert not got[("url", "https://login-bank.example/verify")].to_detect
    assert got[("domain", "narrow.example")].distribution == "organisation"
    assert got[("domain", "login-bank.example")].distribution is None
    # Only ALPHA sees the attribute MISP limited to "your organisation".
    values = {i["value"] for i in fed.api("bravo", "read").get(f"/events/{ev.uuid}").json()[
        "indicators"]}  # fmt: skip
    assert "narrow.example" not in values and "login-bank.example" in values


def test_every_document_shape_imports(fed):
    docs = []
    for shape in range(4):
        ev = pymisp_event(info=f"shape {shape}")
        body = json.loads(ev.to_json())
        docs.append([{"Event": body}, body, [body], {"response": [{"Event": body}]}][shape])
    for doc in docs:
        assert _import(fed, doc).events_created == 1
    assert Event.objects.count() == 4


def test_reimport_changes_nothing_and_a_newer_timestamp_updates(fed):
    ev = pymisp_event()
    data = ev.to_json().encode()
    _import(fed, data)
    before = {(i.uuid, i.value, i.modified) for i in Indicator.objects.all()}
    again = _import(fed, data)
    assert again.events_unchanged == 1 and not again.changed
    assert {(i.uuid, i.value, i.modified) for i in Indicator.objects.all()} == before
    ev.timestamp = T0 + dt.timedelta(hours=1)
    ev.info = "Phishing wave, second stage"
    ev.attributes[1].value = "login-bank2.example"
    newer = _import(fed, ev.to_json().encode())
    assert newer.events_updated == 1
    event = Event.objects.get(uuid=ev.uuid)
    assert event.title == "Phishing wave, second stage"
    assert event.source_modified == T0 + dt.timedelta(hours=1)
    assert event.indicators.filter(value="login-bank2.example").exists()
    assert not event.indicators.filter(value="login-bank.example").exists()
    assert str(event.indicators.get(value="login-bank2.example").uuid) == ev.attributes[1].uuid


def test_bad_values_are_reported_by_position_and_nothing_is_written(fed):
    good = json.loads(pymisp_event().to_json())
    bad = json.loads(pymisp_event(info="bad one").to_json())
    bad["Attribute"][3]["value"] = "not-an-email"
    bad["Object"][0]["Attribute"][1]["value"] = "xyz"
    bad["Attribute"].append({"type": "text", "value": "free text", "uuid": str(uuid.uuid4())})
    with pytest.raises(IngestError) as exc:
        _import(fed, [good, bad])
    positions = [p.position for p in exc.value.problems]
    assert positions == [
        "Event[1].Attribute[3]", "Event[1].Attribute[8]", "Event[1].Object[0].Attribute[1]",
    ]  # fmt: skip
    assert "not-an-email" in str(exc.value.problems[0]) and "'text'" in str(exc.value.problems[1])
    assert Event.objects.count() == 0 and Indicator.objects.count() == 0
    assert not AuditEntry.objects.filter(action="import.misp").exists()

    kept = _import(fed, [good, bad], skip_invalid=True)
    assert kept.events_created == 2
    assert [p.position for p in kept.skipped] == positions
    assert Indicator.objects.filter(event__uuid=bad["uuid"]).count() == 8


def test_a_bad_event_and_a_bad_document_are_clear_errors(fed):
    body = json.loads(pymisp_event().to_json())
    body["threat_level_id"] = "9"
    with pytest.raises(IngestError, match=r"Event\[0\]: threat_level_id '9'"):
        _import(fed, body)
    from certfed.platform.errors import Invalid

    with pytest.raises(Invalid, match="not JSON"):
        _import(fed, b"{nope")
    with pytest.raises(Invalid, match="no MISP events"):
        _import(fed, b"[]")
    with pytest.raises(Invalid, match="not a MISP event"):
        _import(fed, b'["x"]')


def test_distribution_and_labels_follow_certfed_rules(fed):
    group = fed.groups["alpha-vendor"]
    cases = [
        ({"distribution": "3", "Tag": [{"name": "tlp:clear"}]}, ("CLEAR", "public")),
        ({"distribution": "3", "Tag": [{"name": "tlp:amber"}]}, ("AMBER", "organisation")),
        ({"distribution": "1", "Tag": [{"name": "tlp:red"}]}, ("RED", "organisation")),
        ({"distribution": "0"}, ("AMBER", "organisation")),
        ({"distribution": "4", "SharingGroup": {"uuid": str(group.uuid), "name": "x"}},
         ("AMBER", "sharing_group")),
        ({"distribution": "4", "SharingGroup": {"uuid": str(uuid.uuid4())}},
         ("AMBER", "organisation")),
    ]  # fmt: skip
    for n, (fields, (tlp, dist)) in enumerate(cases):
        body = {"uuid": str(uuid.uuid4()), "info": f"case {n}", "Attribute": []} | fields
        _import(fed, body)
        event = Event.objects.get(uuid=body["uuid"])
        assert (event.tlp, event.distribution) == (tlp, dist), n


def test_only_writers_import_and_never_over_another_orgs_event(fed):
    from certfed.platform.errors import Forbidden

    data = pymisp_event().to_json().encode()
    with pytest.raises(Forbidden):
        _import(fed, data, label="alpha_viewer")
    _import(fed, data)
    newer = json.loads(data)
    newer["timestamp"] = str(int(T0.timestamp()) + 60)
    with pytest.raises(IngestError, match="another organisation"):
        _import(fed, newer, label="bravo")


# -- export ---------------------------------------------------------------------------------


def _export(fed, label, **params) -> list[dict]:
    client = fed.api(label, "read") if label else fed.api(None)
    response = client.get("/export/misp", **params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(b"".join(response.streaming_content))


def test_exported_events_load_in_pymisp_with_attributes_tags_and_uuids(fed):
    group = fed.groups["alpha-vendor"]
    event = fed.event(
        "alpha", title="Ransomware C2", description="Seen in three ministries.",
        tlp="AMBER", pap="GREEN", distribution="federation", threat_level="high",
        date="2026-02-01", tags=["T1566.001", "rsit:malware"],
        indicators=[
            {"value": "203.0.113.77", "comment": "c2", "first_seen": "2026-01-30T10:00:00Z"},
            {"value": "c2-node.example", "to_detect": False},
            {"value": "http://c2-node.example/gate.php", "tlp": "AMBER+STRICT"},
            {"value": "2001:db8::77"}, {"value": "10.9.0.0/16"}, {"value": "e" * 64},
            {"value": "x@c2-node.example"}, {"value": "CVE-2023-4966"},
            {"value": "sg-only.example", "distribution": "sharing_group",
             "sharing_group": str(group.uuid)},
        ],
    )  # fmt: skip
    docs = _export(fed, "alpha")
    assert len(docs) == 1
    misp_event = MISPEvent()
    misp_event.load(docs[0])
    assert misp_event.uuid == str(event.uuid) and misp_event.info == "Ransomware C2"
    assert {t.name for t in misp_event.tags} == {
        "tlp:amber", "PAP:GREEN", "T1566.001", "rsit:malware",
    }  # fmt: skip
    assert int(misp_event.threat_level_id) == 1 and misp_event.distribution == 2
    assert misp_event.date.isoformat() == "2026-02-01"
    assert misp_event.Orgc.name == "ALPHA"
    assert misp_event.EventReport[0].content == "Seen in three ministries."
    stored = {str(i.uuid): i for i in event.indicators.all()}
    by_uuid = {a.uuid: a for a in misp_event.attributes}
    assert set(by_uuid) == set(stored)
    types = {a.value: (a.type, a.category) for a in misp_event.attributes}
    assert types["203.0.113.77"] == ("ip-dst", "Network activity")
    assert types["10.9.0.0/16"][0] == "ip-dst" and types["2001:db8::77"][0] == "ip-dst"
    assert types["c2-node.example"][0] == "domain" and types["e" * 64][0] == "sha256"
    assert types["x@c2-node.example"][0] == "email-src"
    assert types["CVE-2023-4966"][0] == "vulnerability"
    c2 = next(a for a in misp_event.attributes if a.value == "c2-node.example")
    assert c2.to_ids is False
    url = next(a for a in misp_event.attributes if a.value.startswith("http"))
    assert [t.name for t in url.tags] == ["tlp:amber+strict"]
    sg = next(a for a in misp_event.attributes if a.value == "sg-only.example")
    assert sg.distribution == 4 and sg.SharingGroup.uuid == str(group.uuid)
    first = next(a for a in misp_event.attributes if a.value == "203.0.113.77")
    assert first.first_seen == dt.datetime(2026, 1, 30, 10, tzinfo=dt.UTC)
    assert first.comment == "c2"


def test_an_export_round_trips_through_import(fed):
    fed.event(
        "alpha", title="Round trip", description="Twice.", tlp="GREEN", pap="AMBER",
        distribution="community", threat_level="low", tags=["rsit:phishing"],
        indicators=["round.example", {"value": "203.0.113.90", "distribution": "organisation"},
                    {"value": "http://round.example/a", "tlp": "AMBER"}],
    )  # fmt: skip
    docs = _export(fed, "alpha")
    before = json.dumps(docs, sort_keys=True)
    source = Event.objects.get()
    labels = {i.value: (i.tlp, i.distribution, str(i.uuid)) for i in source.indicators.all()}
    source.delete()
    result = _import(fed, json.dumps(docs).encode())
    assert result.events_created == 1 and result.skipped == []
    event = Event.objects.get()
    assert (event.title, event.description, event.tlp, event.pap, event.distribution) == (
        "Round trip", "Twice.", "GREEN", "AMBER", "community",
    )  # fmt: skip
    assert event.threat_level == "low" and [t.name for t in event.tags.all()] == ["rsit:phishing"]
    assert {i.value: (i.tlp, i.distribution, str(i.uuid)) for i in event.indicators.all()} == labels
    # Exporting the imported copy gives the same document: same uuids, same timestamps.
    again = json.dumps(_export(fed, "alpha"), sort_keys=True)
    assert json.loads(again)[0]["Event"]["timestamp"] == json.loads(before)[0]["Event"]["timestamp"]
    assert _import(fed, again.encode()).events_unchanged == 1


def test_export_shows_only_visible_events_and_indicators(fed):
    group = fed.groups["alpha-vendor"]
    shared = fed.event("bravo", tlp="GREEN", distribution="federation", indicators=[
        "everyone.example", {"value": "bravo-only.example", "distribution": "organisation"},
    ])  # fmt: skip
    secret = fed.event("bravo", tlp="AMBER", distribution="organisation", indicators=["s.example"])
    grouped = fed.event("alpha", tlp="AMBER", distribution="sharing_group",
                        sharing_group=str(group.uuid), indicators=["grp.example"])  # fmt: skip
    for label, events, values in [
        ("vendor", {shared.uuid, grouped.uuid}, {"everyone.example", "grp.example"}),
        ("gamma", {shared.uuid}, {"everyone.example"}),
        ("bravo", {shared.uuid, secret.uuid},
         {"everyone.example", "bravo-only.example", "s.example"}),
        (None, set(), set()),
    ]:  # fmt: skip
        docs = _export(fed, label)
        loaded = []
        for doc in docs:
            ev = MISPEvent()
            ev.load(doc)
            loaded.append(ev)
        assert {e.uuid for e in loaded} == {str(u) for u in events}, label
        assert {a.value for e in loaded for a in e.attributes} == values, label
