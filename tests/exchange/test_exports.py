"""GET /api/v1/export/{format}: every format through the gate, the detection exclusions, and
the shape of each file (CSV, text lists, Suricata rules, Zeek intel, MISP, STIX)."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import json
import re
from dataclasses import dataclass, field

import pytest
from pymisp import MISPEvent

from certfed.intel.models import Indicator

pytestmark = pytest.mark.django_db

FORMATS = ["stix", "misp", "csv", "text", "suricata", "zeek"]
ALL_IN = {
    "include_expired": "true",
    "include_decayed": "true",
    "include_warninglisted": "true",
    "include_non_detect": "true",
}


@dataclass
class Item:
    uuid: str
    type: str
    value: str


@dataclass
class World:
    """Events of every audience, and who may see each event and indicator (the oracle is
    this table, written by hand, not the gate)."""

    events: dict[str, object] = field(default_factory=dict)
    items: dict[str, list[Item]] = field(default_factory=dict)
    readers: dict[str, set] = field(default_factory=dict)  # event name -> labels of readers
    narrowed: Item | None = None  # federation event, indicator for its owner only

    def visible(self, label: str | None) -> tuple[set[str], list[Item]]:
        names = {n for n, who in self.readers.items() if label in who}
        items = [i for n in names for i in self.items[n]]
        if label == "bravo" and self.narrowed is not None:
            items.append(self.narrowed)
        return {str(self.events[n].uuid) for n in names}, items

    def hidden(self, label: str | None) -> tuple[set[str], list[Item]]:
        seen_events, seen_items = self.visible(label)
        seen = {i.uuid for i in seen_items}
        every = [i for n in self.items for i in self.items[n]] + [self.narrowed]
        all_events = {str(e.uuid) for e in self.events.values()}
        return all_events - seen_events, [i for i in every if i.uuid not in seen]


EVERY_MEMBER = {"alpha", "bravo", "gamma", "vendor", "affil"}


def build_world(fed) -> World:
    w = World()

    def add(name, owner, readers, indicators, **labels):
        event = fed.event(owner, title=f"{name} event", indicators=indicators, **labels)
        w.events[name] = event
        w.readers[name] = readers
        w.items[name] = [
            Item(str(i.uuid), i.type, i.value)
            for i in Indicator.objects.filter(event=event, distribution__isnull=True)
        ]

    add("public", "alpha", EVERY_MEMBER | {None}, ["203.0.113.10", "pub-one.example",
        "http://pub-one.example/landing?id=1"], tlp="CLEAR", distribution="public")  # fmt: skip
    add("federation", "bravo", EVERY_MEMBER,
        ["198.51.100.20", "fed-two.example", "2001:db8::20", "198.51.100.0/24",
         "phisher@fed-two.example", "d41d8cd98f00b204e9800998ecf8427e", "CVE-2024-3400",
         {"value": "fed-narrow-bravo.example", "distribution": "organisation"}],
        tlp="GREEN", distribution="federation")  # fmt: skip
    add("community", "bravo", {"alpha", "bravo", "gamma"}, ["comm-three.example"],
        tlp="AMBER", distribution="community")  # fmt: skip
    add("organisation", "bravo", {"bravo"}, ["org-four.example", "192.0.2.44"],
        tlp="AMBER", distribution="organisation")  # fmt: skip
    group = str(fed.groups["alpha-vendor"].uuid)
    add("group", "alpha", {"alpha", "vendor"}, ["sg-five.example"], tlp="AMBER",
        distribution="sharing_group", sharing_group=group)  # fmt: skip
    add("draft", "bravo", {"bravo"}, ["draft-six.example"], tlp="GREEN",
        distribution="federation", published=False)  # fmt: skip
    add("red", "alpha", {"alpha"}, ["red-seven.example"], tlp="RED", distribution="organisation")
    narrow = Indicator.objects.get(value="fed-narrow-bravo.example")
    w.narrowed = Item(str(narrow.uuid), narrow.type, narrow.value)
    # Warninglists are being wired in; the gate tests are about the gate alone.
    Indicator.objects.update(warninglist="")
    return w


def export(fed, label, fmt, **params):
    client = fed.api(label, "read") if label else fed.api(None)
    response = client.get(f"/export/{fmt}", **params)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def _skip_missing_stix(fmt):
    if fmt == "stix" and importlib.util.find_spec("certfed.exchange.stix.export") is None:
        pytest.skip("certfed.exchange.stix.export is not there yet")


# -- what each format lists -----------------------------------------------------------------


SURICATA_TYPES = {"ipv4", "ipv6", "cidr", "domain", "url"}
ZEEK_TYPES = {"ipv4", "ipv6", "cidr", "domain", "url", "email", "md5", "sha1", "sha256"}


def listed(fmt: str, body: bytes) -> tuple[set[str] | None, set[str]]:
    """(event uuids or None when the format has no events, indicator keys) where a key is a
    uuid for formats that carry them, else the value as the format writes it."""
    text = body.decode()
    if fmt == "misp":
        events = json.loads(text)
        uuids, attrs = set(), set()
        for doc in events:
            ev = MISPEvent()
            ev.load(doc)
            uuids.add(ev.uuid)
            attrs.update(a.uuid for a in ev.attributes)
        return uuids, attrs
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        return {r["event_uuid"] for r in rows}, {r["uuid"] for r in rows}
    if fmt == "text":
        return None, set(text.splitlines())
    if fmt == "suricata":
        found = re.findall(r"metadata:certfed_indicator ([0-9a-f-]{36})", text)
        return None, set(found)
    if fmt == "zeek":
        lines = [line for line in text.splitlines() if not line.startswith("#")]
        return None, {line.split("\t")[0] for line in lines}
    raise AssertionError(fmt)


def expected(fmt: str, items: list[Item]) -> set[str]:
    if fmt in ("misp", "csv"):
        return {i.uuid for i in items}
    if fmt == "text":
        return {i.value for i in items}
    if fmt == "suricata":
        return {i.uuid for i in items if i.type in SURICATA_TYPES}
    if fmt == "zeek":
        return {i.value.split("://", 1)[-1] for i in items if i.type in ZEEK_TYPES}
    raise AssertionError(fmt)


# -- the gate -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("label", ["alpha", "bravo", "gamma", "vendor", "affil", None])
def test_every_export_holds_exactly_what_the_reader_may_see(fed, fmt, label):
    _skip_missing_stix(fmt)
    world = build_world(fed)
    response, body = export(fed, label, fmt, **ALL_IN)
    assert response.status_code == 200, body[:500]
    seen_events, seen_items = world.visible(label)
    hidden_events, hidden_items = world.hidden(label)
    text = body.decode()
    # Nothing of what the reader may not see, in any form: uuid, value, title.
    for item in hidden_items:
        assert item.uuid not in text and item.value not in text, (label, item)
    for name, event in world.events.items():
        if str(event.uuid) in hidden_events:
            assert str(event.uuid) not in text and f"{name} event" not in text
    if fmt == "stix":
        for item in seen_items:
            assert item.value in text or item.type in ("cve",), (label, item)
        return
    events, keys = listed(fmt, body)
    assert keys == expected(fmt, seen_items)
    if events is not None:
        assert events <= seen_events
        if fmt == "misp":
            assert events == seen_events


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_suspended_organisations_key_gets_nothing(suspended, fmt):
    world = build_world(suspended)
    response, body = export(suspended, "susp", fmt)
    assert response.status_code == 401
    assert all(i.value.encode() not in body for items in world.items.values() for i in items)


def test_filters_of_the_event_list_apply(fed):
    world = build_world(fed)
    _, body = export(fed, "alpha", "csv", tlp="amber", **ALL_IN)
    events, _ = listed("csv", body)
    assert events == {str(world.events["community"].uuid), str(world.events["group"].uuid)}
    _, body = export(fed, "bravo", "text", published="false", **ALL_IN)
    assert body.decode().split() == ["draft-six.example"]
    _, body = export(fed, "alpha", "text", owner="BRAVO", q="community", **ALL_IN)
    assert body.decode().split() == ["comm-three.example"]


def test_unknown_format_and_bad_parameters_answer_json(fed):
    response, body = export(fed, "alpha", "pdf")
    assert response.status_code == 404
    detail = json.loads(body)["detail"]
    assert all(f in detail for f in ("csv", "misp", "stix", "suricata", "text", "zeek"))
    response, body = export(fed, "alpha", "text", type="ipv5")
    assert response.status_code == 422 and "ipv5" in json.loads(body)["detail"]
    response, body = export(fed, "alpha", "csv", tlp="purple")
    assert response.status_code == 422
    response, body = export(fed, "alpha", "suricata", sid_base=(1 << 32) - 10)
    assert response.status_code == 422 and "sid_base" in json.loads(body)["detail"]


def test_content_types(fed):
    build_world(fed)
    for fmt, ctype in [
        ("misp", "application/json"),
        ("csv", "text/csv"),
        ("text", "text/plain"),
        ("suricata", "text/plain"),
        ("zeek", "text/plain"),
    ]:
        response, _ = export(fed, "alpha", fmt)
        assert response.status_code == 200 and response.streaming
        assert response["Content-Type"].startswith(ctype)


def test_stix_content_type(fed):
    _skip_missing_stix("stix")
    response, _ = export(fed, "alpha", "stix")
    assert response["Content-Type"] == "application/stix+json;version=2.1"


@pytest.mark.parametrize("fmt", FORMATS)
def test_exports_take_a_fixed_number_of_queries(fed, fmt):
    _skip_missing_stix(fmt)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response, _ = export(fed, "alpha", fmt, **ALL_IN)
            assert response.status_code == 200
        return len(ctx.captured_queries)

    for n in range(3):
        fed.event("bravo", title=f"q{n}", tlp="GREEN", distribution="federation",
                  tags=[f"t{n}"], indicators=[f"q{n}-{i}.example" for i in range(5)])  # fmt: skip
    few = count()
    for n in range(3, 30):
        fed.event("bravo", title=f"q{n}", tlp="GREEN", distribution="federation",
                  tags=[f"t{n}"], indicators=[f"q{n}-{i}.example" for i in range(5)])  # fmt: skip
    assert count() <= few + 1  # +1: the audit log's once-a-minute key stamp may differ


# -- exclusions -----------------------------------------------------------------------------


def _exclusion_world(fed):
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    fed.event("alpha", tlp="GREEN", distribution="federation", indicators=[
        "kept-one.example",
        {"value": "still-valid.example", "valid_until": future},
        {"value": "expired-one.example", "valid_until": past},
        {"value": "context-only.example", "to_detect": False},
        "listed-one.example",
    ])  # fmt: skip
    Indicator.objects.update(warninglist="")
    Indicator.objects.filter(value="listed-one.example").update(warninglist="Top 1000 domains")


EXCLUDED = {
    "include_expired": "expired-one.example",
    "include_non_detect": "context-only.example",
    "include_warninglisted": "listed-one.example",
}


@pytest.mark.parametrize("fmt", ["csv", "text", "suricata", "zeek"])
def test_detection_exports_leave_out_expired_warninglisted_and_non_detect(fed, fmt):
    _exclusion_world(fed)
    _, body = export(fed, "bravo", fmt)
    text = body.decode()
    assert "kept-one.example" in text and "still-valid.example" in text
    for value in EXCLUDED.values():
        assert value not in text
    for flag, value in EXCLUDED.items():
        _, body = export(fed, "bravo", fmt, **{flag: "true"})
        text = body.decode()
        assert value in text
        assert all(v not in text for f, v in EXCLUDED.items() if f != flag)
    _, body = export(fed, "bravo", fmt, **ALL_IN)
    assert all(v in body.decode() for v in EXCLUDED.values())


@pytest.mark.parametrize("fmt", ["csv", "text", "suricata", "zeek"])
def test_decayed_indicators_are_left_out_unless_asked(fed, fmt, monkeypatch):
    from certfed.exchange.exports import base

    calls = []

    def spy(qs, **flags):
        calls.append(flags)
        return real(qs, **flags)

    real = base.detection_filter
    monkeypatch.setattr(base, "detection_filter", spy)
    long_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3 * 365)).isoformat()
    fed.event("alpha", tlp="GREEN", distribution="federation", indicators=[
        "fresh-one.example", {"value": "decayed-one.example", "first_seen": long_ago},
    ])  # fmt: skip
    Indicator.objects.update(warninglist="")
    _, body = export(fed, "bravo", fmt)
    assert "fresh-one.example" in body.decode() and "decayed-one.example" not in body.decode()
    _, body = export(fed, "bravo", fmt, include_decayed="true")
    assert "decayed-one.example" in body.decode()
    # Decay is computed from the sightings the reader may see.
    assert calls[-1]["viewer"] == fed.viewer("bravo") and calls[-1]["include_decayed"]


@pytest.mark.parametrize("fmt", ["misp", "stix"])
def test_event_exports_keep_every_visible_indicator(fed, fmt):
    _skip_missing_stix(fmt)
    _exclusion_world(fed)
    _, body = export(fed, "bravo", fmt)
    assert all(v in body.decode() for v in EXCLUDED.values())


# -- shapes ---------------------------------------------------------------------------------


def test_csv_parses_with_its_columns(fed):
    world = build_world(fed)
    odd = {"value": "csv-test.example", "comment": '-2+3, "quoted"\nline'}
    fed.event("alpha", title="=HYPERLINK(1)", tlp="GREEN", distribution="federation",
              indicators=[odd])  # fmt: skip
    _, body = export(fed, "alpha", "csv", **ALL_IN)
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert list(rows[0]) == [
        "uuid", "event_uuid", "type", "value", "comment", "to_detect", "tlp", "first_seen",
        "last_seen", "valid_until", "event_title", "owner",
    ]  # fmt: skip
    row = next(r for r in rows if r["value"] == "csv-test.example")
    # Formula-looking text is neutralised for spreadsheets; quoting survives.
    assert row["event_title"] == "'=HYPERLINK(1)" and row["comment"].startswith("'-2+3")
    assert '"quoted"' in row["comment"] and row["to_detect"] == "true"
    assert row["owner"] == "ALPHA" and row["tlp"] == "GREEN"
    red = next(r for r in rows if r["value"] == "red-seven.example")
    assert red["tlp"] == "RED" and red["event_uuid"] == str(world.events["red"].uuid)


def test_text_lists_values_only_and_selects_types(fed):
    build_world(fed)
    _, body = export(fed, "bravo", "text", type="domain", **ALL_IN)
    lines = body.decode().splitlines()
    assert lines and all(re.fullmatch(r"[a-z0-9.-]+\.example", v) for v in lines)
    assert len(lines) == len(set(lines)) and "fed-narrow-bravo.example" in lines
    _, body = export(fed, "bravo", "text", type="ipv4,cidr", **ALL_IN)
    assert set(body.decode().splitlines()) == {
        "203.0.113.10", "198.51.100.20", "198.51.100.0/24", "192.0.2.44",
    }  # fmt: skip


def test_suricata_rules_are_well_formed_and_sids_stable(fed):
    build_world(fed)
    _, body = export(fed, "bravo", "suricata", **ALL_IN)
    rules = [r for r in body.decode().splitlines() if r and not r.startswith("#")]
    assert len(rules) == 12
    sids = []
    for rule in rules:
        assert re.match(r"^alert (ip|dns|http) \S+ \S+ (->|<>) \S+ \S+ \(.*\)$", rule), rule
        assert rule.count('"') % 2 == 0 and rule.count("(") == rule.count(")")
        assert rule.endswith("rev:1;)") and 'msg:"certfed TLP:' in rule
        sids.append(int(re.search(r"sid:(\d+);", rule).group(1)))
    assert len(set(sids)) == len(sids) and min(sids) > 1_000_000_000
    assert any('dns.query; dotprefix; content:".fed-two.example"' in r for r in rules)
    assert any("alert ip $HOME_NET any <> 2001:db8::20 any" in r for r in rules)
    url = next(r for r in rules if "alert http" in r)
    assert 'http.host; content:"pub-one.example"; startswith; endswith;' in url
    assert 'http.uri; content:"/landing?id=1"; startswith;' in url
    _, again = export(fed, "bravo", "suricata", **ALL_IN)
    assert again == body
    _, shifted = export(fed, "bravo", "suricata", sid_base=5_000_000, **ALL_IN)
    rules = [r for r in shifted.decode().splitlines() if r and not r.startswith("#")]
    moved = [int(re.search(r"sid:(\d+);", r).group(1)) for r in rules]
    assert sorted(moved) == sorted(s - 1_000_000_000 + 5_000_000 for s in sids)


def test_suricata_content_escapes_reserved_characters():
    from certfed.exchange.exports.suricata import _content

    assert _content('a;b"c\\d|e') == "a|3B|b|22|c|5C|d|7C|e"
    assert _content(';"') == "|3B 22|"
    assert _content("/a(b)") == "/a|28|b|29|"


def test_suricata_sid_base_comes_from_the_environment(fed, monkeypatch):
    fed.event("bravo", tlp="GREEN", distribution="federation", indicators=["sid.example"])
    monkeypatch.setenv("CERTFED_SURICATA_SID_BASE", "7000000")
    _, body = export(fed, "bravo", "suricata", include_warninglisted="true")
    rules = [r for r in body.decode().splitlines() if r and not r.startswith("#")]
    sid = int(re.search(r"sid:(\d+);", rules[0]).group(1))
    assert 7_000_003 <= sid < 7_000_003 + (1 << 30)


def test_zeek_intel_file_has_the_fields_header_and_tab_columns(fed):
    build_world(fed)
    _, body = export(fed, "bravo", "zeek", **ALL_IN)
    lines = body.decode().splitlines()
    assert lines[0] == "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url"
    rows = [line.split("\t") for line in lines[1:]]
    assert rows and all(len(r) == 5 and all(c for c in r) for r in rows)
    kinds = {r[0]: r[1] for r in rows}
    assert kinds["198.51.100.20"] == "Intel::ADDR" and kinds["2001:db8::20"] == "Intel::ADDR"
    assert kinds["198.51.100.0/24"] == "Intel::SUBNET"
    assert kinds["fed-two.example"] == "Intel::DOMAIN"
    assert kinds["pub-one.example/landing?id=1"] == "Intel::URL"
    assert kinds["phisher@fed-two.example"] == "Intel::EMAIL"
    assert kinds["d41d8cd98f00b204e9800998ecf8427e"] == "Intel::FILE_HASH"
    assert "CVE-2024-3400" not in kinds
    row = next(r for r in rows if r[0] == "fed-two.example")
    assert row[2] == "certfed:BRAVO" and row[3].startswith("TLP:GREEN ")
    assert row[4].startswith("http://testserver/events/")


def test_exports_of_restricted_foreign_content_are_audited(fed):
    from certfed.audit.models import AuditEntry

    group = fed.groups["alpha-vendor"]
    event = fed.event("alpha", tlp="RED", distribution="sharing_group",
                      sharing_group=str(group.uuid), indicators=["red-group.example"])  # fmt: skip
    export(fed, "vendor", "csv")
    entry = AuditEntry.objects.filter(action="export.read").get()
    assert entry.detail["restricted"] == [str(event.uuid)]
    assert entry.actor_label == "vendor@vendor.example"
    export(fed, "alpha", "csv")  # its own: not an audited read
    assert AuditEntry.objects.filter(action="export.read").count() == 1
