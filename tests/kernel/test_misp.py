"""The MISP codec, without a database: types, labels, distribution, stamps, feed hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

import pytest

from certfed.kernel import misp


@dataclass
class D:
    tlp: str = "AMBER"
    pap: str = "AMBER"
    distribution: str = "organisation"
    sharing_group: str | None = None
    published: bool = True


GROUP = str(uuid.uuid4())


@pytest.mark.parametrize(
    ("misp_type", "value", "expected"),
    [
        ("ip-dst", "203.0.113.7", [("ipv4", "203.0.113.7")]),
        ("ip-src", "2001:db8::1", [("ipv6", "2001:db8::1")]),
        ("ip-dst", "198.51.100.0/24", [("cidr", "198.51.100.0/24")]),
        ("domain", "evil.example", [("domain", "evil.example")]),
        ("hostname", "www.evil.example", [("domain", "www.evil.example")]),
        ("url", "http://evil.example/x", [("url", "http://evil.example/x")]),
        ("link", "https://blog.example/post", [("url", "https://blog.example/post")]),
        ("email", "a@evil.example", [("email", "a@evil.example")]),
        ("email-src", "a@evil.example", [("email", "a@evil.example")]),
        ("email-dst", "b@evil.example", [("email", "b@evil.example")]),
        ("md5", "d41d8cd98f00b204e9800998ecf8427e", [("md5", "d41d8cd98f00b204e9800998ecf8427e")]),
        ("filename|sha1", "a.exe|" + "a" * 40, [("sha1", "a" * 40)]),
        ("filename|sha256", "a.exe|" + "b" * 64, [("sha256", "b" * 64)]),
        ("malware-sample", "a.exe|" + "c" * 32, [("md5", "c" * 32)]),
        ("ip-dst|port", "203.0.113.9|443", [("ipv4", "203.0.113.9")]),
        ("hostname|port", "c2.example|8080", [("domain", "c2.example")]),
        (
            "domain|ip",
            "c2.example|203.0.113.5",
            [("domain", "c2.example"), ("ipv4", "203.0.113.5")],
        ),
        ("vulnerability", "CVE-2024-3400", [("cve", "CVE-2024-3400")]),
    ],
)
def test_attribute_types_map_to_indicator_types(misp_type, value, expected):
    assert misp.indicators_of_attribute(misp_type, value) == expected


@pytest.mark.parametrize("misp_type", ["text", "filename", "regkey", "AS", "comment", "yara"])
def test_unknown_attribute_types_are_reported(misp_type):
    with pytest.raises(misp.UnsupportedAttribute, match=misp_type):
        misp.indicators_of_attribute(misp_type, "x")


def test_every_certfed_type_exports_to_a_type_that_imports_back():
    from certfed.kernel.indicators import TYPES

    for type_name in TYPES:
        misp_type, category = misp.attribute_type(type_name)
        assert misp_type in misp.IMPORT_TYPES and category
    samples = {"ipv4": "203.0.113.1", "ipv6": "2001:db8::2", "cidr": "10.0.0.0/8"}
    for type_name, value in samples.items():
        misp_type, _ = misp.attribute_type(type_name)
        assert misp.indicators_of_attribute(misp_type, value) == [(type_name, value)]


def test_labels_from_tags_take_the_strictest_and_keep_other_tags():
    tlp, pap, rest = misp.split_label_tags(
        ["tlp:green", "TLP:AMBER+STRICT", "PAP:GREEN", "pap:red", "T1566", "tlp:unclear", "x"]
    )
    assert (tlp, pap, rest) == ("AMBER+STRICT", "RED", ["T1566", "x"])
    assert misp.split_label_tags(["tlp:white"])[0] == "CLEAR"
    assert misp.split_label_tags(["tlp:clear"])[0] == "CLEAR"
    names = [t["name"] for t in misp.label_tags("AMBER+STRICT", "GREEN")]
    assert names == ["tlp:amber+strict", "PAP:GREEN"]
    assert misp.split_label_tags(names)[:2] == ("AMBER+STRICT", "GREEN")


def test_tag_names_read_both_shapes():
    raw = {"Tag": [{"name": "a"}], "EventTag": [{"Tag": {"name": "b"}}]}
    assert misp.tag_names(raw) == ["a", "b"]


@pytest.mark.parametrize(
    ("level", "tlp", "expected"),
    [
        ("0", "AMBER", ("organisation", None)),
        (1, "AMBER", ("community", None)),
        ("2", "GREEN", ("federation", None)),
        ("3", "CLEAR", ("public", None)),
        # public is only for TLP CLEAR: the defaults, as they reach no further
        ("3", "GREEN", ("community", None)),
        # RED names its recipients: defaults that cannot hold it fall back to the owner
        ("1", "RED", ("organisation", None)),
        ("4", "AMBER", ("sharing_group", GROUP)),
        (None, "AMBER", ("community", None)),
        ("5", "AMBER", ("community", None)),
        ("9", "AMBER", ("community", None)),
    ],
)
def test_event_distribution_is_mapped_as_far_as_rules_allow(level, tlp, expected):
    raw = {"distribution": level, "SharingGroup": {"uuid": GROUP}}
    defaults = D(distribution="community")
    assert misp.event_distribution(raw, tlp, "AMBER", defaults, frozenset({GROUP})) == expected


def test_an_unknown_sharing_group_never_widens_the_audience():
    raw = {"distribution": "4", "SharingGroup": {"uuid": str(uuid.uuid4())}}
    got = misp.event_distribution(raw, "AMBER", "AMBER", D(distribution="federation"), frozenset())
    assert got == ("organisation", None)


def test_distribution_ids_round_trip():
    for name, level in misp.TO_MISP_DISTRIBUTION.items():
        assert misp.distribution_id(name) == str(level)
        assert misp.FROM_MISP_DISTRIBUTION[level] == name
    assert misp.distribution_id(None) == "5"


def test_threat_levels_and_timestamps():
    for level, n in misp.THREAT_LEVEL_IDS.items():
        assert misp.threat_level_id(level) == str(n) and misp.THREAT_LEVELS[n] == level
    when = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    stamp = misp.to_timestamp(when)
    assert stamp == str(int(when.timestamp()))
    assert misp.from_timestamp(stamp) == when == misp.from_timestamp(int(stamp))
    for bad in ("yesterday", None, True, 1e30):
        with pytest.raises(ValueError):
            misp.from_timestamp(bad)


def _event(**kw) -> dict:
    base = {
        "uuid": str(uuid.uuid4()),
        "info": "Phishing wave",
        "date": "2026-02-03",
        "threat_level_id": "2",
        "timestamp": "1767225600",
        "distribution": "2",
        "published": True,
        "Orgc": {"name": "CIRCL", "uuid": str(uuid.uuid4())},
        "Tag": [{"name": "tlp:green"}, {"name": "PAP:GREEN"}, {"name": "rsit:phishing"}],
        "Attribute": [
            {"type": "ip-dst", "value": "203.0.113.7", "to_ids": True, "uuid": str(uuid.uuid4())},
            {"type": "url", "value": "http://evil.example/", "to_ids": False, "comment": "landing"},
        ],
        "Object": [
            {
                "name": "file",
                "Attribute": [
                    {"type": "sha256", "value": "a" * 64, "object_relation": "sha256"},
                ],
            }
        ],
        "EventReport": [{"name": "Description", "content": "Mails with links."}],
    }
    return base | kw


def test_a_document_parses_in_every_shape():
    ev = _event()
    for doc in ({"Event": ev}, ev, [ev], [{"Event": ev}], {"response": [{"Event": ev}]}):
        events, problems = misp.parse_document(doc, D())
        assert problems == [] and len(events) == 1
        parsed = events[0]
        assert parsed.title == "Phishing wave" and parsed.uuid == uuid.UUID(ev["uuid"])
        assert (parsed.tlp, parsed.pap, parsed.distribution) == ("GREEN", "GREEN", "federation")
        assert parsed.threat_level == "medium" and parsed.date == dt.date(2026, 2, 3)
        assert parsed.tags == ["rsit:phishing"] and parsed.originator == "CIRCL"
        assert parsed.description == "Mails with links."
        assert parsed.source_modified == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        assert [(a.type, a.value, a.to_detect) for a in parsed.indicators] == [
            ("ipv4", "203.0.113.7", True),
            ("url", "http://evil.example/", False),
            ("sha256", "a" * 64, True),
        ]
        assert parsed.indicators[2].position == "Event[0].Object[0].Attribute[0]"


def test_problems_are_listed_by_position():
    ev = _event()
    ev["Attribute"].append({"type": "text", "value": "hello"})
    bad = _event(info="", uuid="nope")
    events, problems = misp.parse_document([ev, bad], D())
    assert [p for p, _ in problems] == ["Event[0].Attribute[2]", "Event[1]"]
    assert "'text'" in problems[0][1]
    assert len(events) == 1 and len(events[0].indicators) == 3
    with pytest.raises(misp.MispFormatError):
        misp.parse_document("not an event", D())
    with pytest.raises(misp.MispFormatError):
        misp.parse_document([], D())


def test_attributes_only_narrow_their_event():
    ev = _event(
        Attribute=[
            {"type": "domain", "value": "a.example", "distribution": "0"},
            {"type": "domain", "value": "b.example", "distribution": "3"},
            {
                "type": "domain",
                "value": "c.example",
                "distribution": "5",
                "Tag": [{"name": "tlp:red"}],
            },
            {"type": "domain", "value": "d.example", "Tag": [{"name": "tlp:clear"}]},
            {
                "type": "domain",
                "value": "e.example",
                "distribution": "4",
                "SharingGroup": {"uuid": GROUP},
            },
            {
                "type": "domain",
                "value": "f.example",
                "distribution": "4",
                "SharingGroup": {"uuid": str(uuid.uuid4())},
            },
        ],  # fmt: skip
        Object=[],
    )
    events, problems = misp.parse_document(ev, D(), frozenset({GROUP}))
    got = [(a.tlp, a.distribution, a.sharing_group) for a in events[0].indicators]
    assert problems == []
    assert got == [
        (None, "organisation", None),
        (None, None, None),  # looser than the event: inherits
        ("RED", "organisation", None),  # RED cannot stay federation-wide
        (None, None, None),  # CLEAR is looser than GREEN
        (None, "sharing_group", GROUP),
        (None, "organisation", None),  # a group certfed does not know
    ]


def test_feed_hashes_and_manifest_entries():
    assert misp.value_hashes("domain", "evil.example") == [
        hashlib.md5(b"evil.example").hexdigest()  # noqa: S324 - MISP's feed format
    ]
    assert len(misp.value_hashes("filename|md5", "a.exe|" + "c" * 32)) == 2
    body = {
        "uuid": "u", "info": "i", "date": "2026-01-01", "analysis": "2", "threat_level_id": "4",
        "timestamp": "1", "Orgc": {"name": "A", "uuid": "x", "extra": 1},
        "Tag": [{"name": "tlp:clear", "colour": "#ffffff", "exportable": True}],
    }  # fmt: skip
    assert misp.manifest_entry(body) == {
        "Orgc": {"name": "A", "uuid": "x"},
        "Tag": [{"name": "tlp:clear", "colour": "#ffffff"}],
        "info": "i", "date": "2026-01-01", "analysis": "2", "threat_level_id": "4",
        "timestamp": "1",
    }  # fmt: skip
