"""The STIX 2.1 codec: patterns (checked against the OASIS pattern grammar), TLP markings
(the official OASIS ids), ids and timestamps. No Django, no database."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2patterns.validator import validate as oasis_pattern_ok
from stix2validator import ValidationOptions, validate_instance

from certfed.kernel import stix21
from certfed.kernel.indicators import normalise_any

STRICT = ValidationOptions(strict=True, version="2.1")
T = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
SAMPLES = {
    "ipv4": "203.0.113.7",
    "ipv6": "2001:db8::1",
    "cidr": "10.0.0.0/8",
    "domain": "login-bank.example.com",
    "url": "http://login-bank.example.com/it's\\here",
    "email": "phish@example.com",
    "md5": "d41d8cd98f00b204e9800998ecf8427e",
    "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
}


def _strictly_valid(*objects) -> None:
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(objects)}
    result = validate_instance(bundle, STRICT)
    assert result.is_valid, [str(e) for e in result.errors + (result.warnings or [])]


# -- patterns -----------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", sorted(SAMPLES))
def test_each_type_has_a_valid_pattern_that_parses_back(type_name):
    value = SAMPLES[type_name]
    pattern = stix21.pattern_for(type_name, value)
    assert oasis_pattern_ok(pattern, stix_version="2.1")
    assert stix21.parse_pattern(pattern) == [(type_name, value)]


def test_patterns_use_the_stix_object_paths():
    assert stix21.pattern_for("ipv4", "1.2.3.4") == "[ipv4-addr:value = '1.2.3.4']"
    assert stix21.pattern_for("cidr", "2001:db8::/32") == "[ipv6-addr:value = '2001:db8::/32']"
    assert stix21.pattern_for("cidr", "10.0.0.0/8") == "[ipv4-addr:value = '10.0.0.0/8']"
    assert stix21.pattern_for("sha1", "ab") == "[file:hashes.'SHA-1' = 'ab']"
    assert stix21.pattern_for("sha256", "ab") == "[file:hashes.'SHA-256' = 'ab']"
    assert stix21.pattern_for("md5", "ab") == "[file:hashes.MD5 = 'ab']"
    assert stix21.pattern_for("email", "a@b.c") == "[email-addr:value = 'a@b.c']"


def test_quotes_and_backslashes_are_escaped():
    pattern = stix21.pattern_for("url", "http://x/a'b\\c")
    assert pattern == "[url:value = 'http://x/a\\'b\\\\c']"
    assert stix21.parse_pattern(pattern) == [("url", "http://x/a'b\\c")]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40))
def test_any_value_survives_escaping(value):
    pattern = stix21.pattern_for("url", value)
    assert stix21.parse_pattern(pattern) == [("url", value)]


_PATHS = ["ipv4-addr:value", "ipv6-addr:value", "domain-name:value", "url:value",
          "email-addr:value", "file:hashes.MD5", "file:hashes.'SHA-1'", "file:hashes.'SHA-256'",
          "file:hashes.SHA256", "file:value", "process:value"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_PATHS), st.text(alphabet=st.characters(blacklist_categories=("Cs",)),
                                        max_size=30))  # fmt: skip
def test_the_fast_path_agrees_with_the_oasis_grammar(path, value):
    pattern = f"[{path} = '{stix21.escape(value)}']"
    stix21.check_pattern(pattern)  # the grammar accepts it (hash formats are the kernel's job)
    assert stix21.parse_pattern(pattern) == stix21._parse_tree(pattern)
    assert stix21._simple(pattern) in (None, stix21._parse_tree(pattern))


@pytest.mark.parametrize("pattern", ["[ipv4-addr:value = 'a'b']", "[ipv4-addr:value = 'a\\']",
                                     "[ipv4-addr:value = 'a\\x']", "[url:value='x']"])  # fmt: skip
def test_the_fast_path_leaves_anything_unusual_to_the_grammar(pattern):
    assert stix21._simple(pattern) is None


def test_a_cve_is_not_a_pattern():
    with pytest.raises(ValueError):
        stix21.pattern_for("cve", "CVE-2021-44228")


def test_ored_comparisons_and_observations_give_every_value():
    sha256, md5 = SAMPLES["sha256"], SAMPLES["md5"]
    ored = f"[file:hashes.'SHA-256' = '{sha256}' OR file:hashes.MD5 = '{md5}']"
    assert stix21.parse_pattern(ored) == [("sha256", sha256), ("md5", md5)]
    two = "[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'x.example']"
    assert stix21.parse_pattern(two) == [("ipv4", "1.2.3.4"), ("domain", "x.example")]


@pytest.mark.parametrize(
    "pattern",
    [
        "[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x.example']",
        "[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.example']",
        "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'x.example']",
        "[ipv4-addr:value = '1.2.3.4'] WITHIN 60 SECONDS",
        "[ipv4-addr:value != '1.2.3.4']",
        "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
        "[domain-name:value LIKE '%.example']",
        "[process:name = 'evil.exe']",
        "[file:name = 'evil.exe']",
        "[file:size = 42]",
        "[network-traffic:dst_ref.value = '1.2.3.4']",
    ],
)
def test_complex_or_unsupported_patterns_are_not_taken_apart(pattern):
    assert oasis_pattern_ok(pattern, stix_version="2.1")
    assert stix21.parse_pattern(pattern) is None


@pytest.mark.parametrize("pattern", ["", "ipv4-addr:value = '1.2.3.4'", "[ipv4-addr:value = ",
                                     "[ipv4-addr:value = 1.2.3.4]", None])  # fmt: skip
def test_invalid_patterns_raise_with_the_grammars_message(pattern):
    with pytest.raises(stix21.PatternError):
        stix21.parse_pattern(pattern)


def test_parsed_values_normalise_with_the_indicator_kernel():
    pairs = stix21.parse_pattern("[url:value = 'HXXP://Evil.Example.COM/x']")
    assert [normalise_any(v, t) for t, v in pairs] == [("url", "http://evil.example.com/x")]


# -- TLP ----------------------------------------------------------------------------------


def test_tlp2_markings_are_the_official_oasis_objects():
    assert stix21.TLP2_EXTENSION_ID == (
        "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
    )
    assert stix21.TLP2_MARKING_IDS == {
        "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    }
    amber_strict = stix21.tlp_marking("AMBER+STRICT")
    assert amber_strict["name"] == "TLP:AMBER+STRICT"
    assert amber_strict["created"] == "2022-10-01T00:00:00.000Z"
    assert amber_strict["extensions"][stix21.TLP2_EXTENSION_ID] == {
        "extension_type": "property-extension", "tlp_2_0": "amber+strict"}  # fmt: skip
    _strictly_valid(*(stix21.tlp_marking(level) for level in stix21.TLP2_MARKING_IDS))


def test_tlp1_ids_are_accepted_and_the_strictest_marking_wins():
    white = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
    red1 = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
    assert stix21.strictest_tlp([white]) == "CLEAR"
    assert stix21.strictest_tlp([white, red1]) == "RED"
    assert stix21.strictest_tlp([stix21.TLP2_MARKING_IDS["AMBER+STRICT"], white]) == (
        "AMBER+STRICT"
    )
    assert stix21.strictest_tlp(["marking-definition--0000"]) is None
    assert stix21.strictest_tlp([]) is None


def test_producers_own_tlp_markings_are_recognised():
    opencti = {"type": "marking-definition", "id": "marking-definition--x", "name": "TLP:GREEN",
               "definition_type": "TLP", "definition": {"TLP": "TLP:GREEN"}}  # fmt: skip
    tlp1 = {"type": "marking-definition", "id": "marking-definition--y", "definition_type": "tlp",
            "definition": {"tlp": "amber"}}  # fmt: skip
    statement = {"type": "marking-definition", "id": "marking-definition--z",
                 "definition_type": "statement", "definition": {"statement": "(c)"}}  # fmt: skip
    assert stix21.tlp_of_marking_object(opencti) == "GREEN"
    assert stix21.tlp_of_marking_object(tlp1) == "AMBER"
    assert stix21.tlp_of_marking_object(statement) is None
    local = {"marking-definition--x": "GREEN"}
    assert stix21.strictest_tlp(["marking-definition--x"], local) == "GREEN"


# -- ids, timestamps, objects -------------------------------------------------------------


def test_ids_split_and_stable_uuids_are_v4_and_deterministic():
    u = uuid.uuid4()
    assert stix21.split_id(f"indicator--{u}") == ("indicator", u)
    assert stix21.split_id(f"x-acme-thing--{u}") == ("x-acme-thing", u)
    for bad in ("indicator", f"Indicator--{u}", f"indicator-{u}", "indicator--123", None, 7):
        with pytest.raises(ValueError):
            stix21.split_id(bad)
    a = stix21.stable_uuid(u, "name")
    assert a == stix21.stable_uuid(u, "name") and a.version == 4
    assert stix21.originator_identity_id("ACME") == stix21.originator_identity_id(" acme ")


def test_timestamps():
    assert stix21.timestamp(T) == "2026-03-01T12:30:15.123Z"
    assert stix21.timestamp_us(T) == "2026-03-01T12:30:15.123456Z"
    assert stix21.parse_timestamp("2026-03-01T12:30:15.123456789Z") == T.replace(microsecond=123456)
    assert stix21.parse_timestamp("2026-03-01T12:30:15Z") == T.replace(microsecond=0)
    for bad in ("2026-03-01", "yesterday", "", None, "2026-03-01T12:30:15.Z"):
        with pytest.raises(ValueError):
            stix21.parse_timestamp(bad)


@pytest.mark.parametrize("type_name", sorted(SAMPLES) + ["cve"])
def test_indicator_objects_pass_the_strict_oasis_validator(type_name):
    value = SAMPLES.get(type_name, "CVE-2021-44228")
    obj = stix21.indicator_object(
        uuid=uuid.uuid4(), type_name=type_name, value=value, created=T, modified=T,
        valid_until=T - dt.timedelta(days=1), description="why", tlp="AMBER",
        created_by=f"identity--{uuid.uuid4()}", to_detect=type_name != "ipv4",
    )  # fmt: skip
    identity = stix21.identity_object(obj["created_by_ref"], "ALPHA team", T)
    _strictly_valid(obj, identity, stix21.tlp_marking("AMBER"))
    if type_name == "cve":
        assert obj["type"] == "vulnerability"
        assert obj["external_references"] == [{"source_name": "cve", "external_id": value}]
    else:
        assert obj["valid_from"] < obj["valid_until"]
        assert stix21.to_detect_of(obj) == (type_name != "ipv4")


def test_observables_cves_and_attack_ids():
    assert stix21.sco_values({"type": "ipv4-addr", "value": "10.0.0.0/8"}) == [
        ("cidr", "10.0.0.0/8")
    ]
    assert stix21.sco_values(
        {"type": "file", "hashes": {"SHA-256": "aa", "MD5": "bb", "SSDEEP": "cc"}}
    ) == [("sha256", "aa"), ("md5", "bb")]
    assert stix21.sco_values({"type": "process", "pid": 4}) == []
    assert stix21.cve_of({"name": "Log4Shell", "external_references": [
        {"source_name": "cve", "external_id": "cve-2021-44228"}]}) == "CVE-2021-44228"  # fmt: skip
    assert stix21.cve_of({"name": "CVE-2020-0001"}) == "CVE-2020-0001"
    assert stix21.cve_of({"name": "Log4Shell"}) is None
    refs = {"external_references": [
        {"source_name": "mitre-attack", "external_id": "T1566.001"},
        {"source_name": "capec", "external_id": "CAPEC-98"},
    ]}  # fmt: skip
    assert stix21.attack_ids(refs) == ["T1566.001"]


def test_the_kernel_does_not_import_django():
    import subprocess
    import sys

    code = "import sys, certfed.kernel.stix21; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
