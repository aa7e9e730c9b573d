"""A realistic STIX 2.1 bundle (valid under the OASIS validator's strict mode) for the
exchange tests: a report with indicators, observables, ATT&CK, malware, a CVE, a
relationship, a sighting, an unreferenced indicator and a custom object type."""

from __future__ import annotations

import copy

ACME = "identity--7b0e3c3a-1f0e-4a4b-9c8e-0d3f2a1b5c6d"
REPORT = "report--1c5d8e2f-3a4b-4c6d-8e9f-0a1b2c3d4e5f"
URL_IND = "indicator--2d6e9f30-4b5c-4d7e-9f00-1b2c3d4e5f60"
HASH_IND = "indicator--3e7fa041-5c6d-4e8f-a011-2c3d4e5f6071"
LOOSE_IND = "indicator--4f80b152-6d7e-4f90-b122-3d4e5f607182"
COMPLEX_IND = "indicator--5091c263-7e8f-4a01-8233-4e5f60718293"
OBSERVED = "observed-data--60a2d374-8f90-4b12-9344-5f60718293a4"
IPV4_SCO = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"
DOMAIN_SCO = "domain-name--dd686e37-6889-53bd-8ae1-b1a503452613"
ATTACK = "attack-pattern--71b3e485-90a1-4c23-a455-607182930a45"
MALWARE = "malware--82c4f596-a1b2-4d34-b566-7182930a4b56"
VULN = "vulnerability--93d50a67-b2c3-4e45-8677-82930a4b5c67"
REL = "relationship--a4e61b78-c3d4-4f56-9788-930a4b5c6d78"
SIGHTING = "sighting--b5f72c89-d4e5-4067-a899-0a4b5c6d7e89"
THING = "x-acme-thing--c6083d9a-e5f6-4178-b9aa-1b5c6d7e8f9a"
EXT = "extension-definition--d7194eab-f607-4289-8abb-2c6d7e8f9aab"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
T0 = "2026-01-10T08:00:00.000Z"
T1 = "2026-01-11T09:30:00.000Z"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _sdo(type_: str, id_: str, **props) -> dict:
    return {"type": type_, "spec_version": "2.1", "id": id_, "created": T0, "modified": T1,
            **props}  # fmt: skip


def bundle() -> dict:
    objects = [
        _sdo("identity", ACME, name="ACME CERT", identity_class="organization"),
        {
            "type": "marking-definition", "spec_version": "2.1", "id": GREEN,
            "created": "2022-10-01T00:00:00.000Z", "name": "TLP:GREEN",
            "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                "extension_type": "property-extension", "tlp_2_0": "green"}},
        },
        _sdo("report", REPORT, name="Phishing wave against banks", description="Kits.",
             published=T1, created_by_ref=ACME, object_marking_refs=[GREEN],
             labels=["phishing"],
             object_refs=[URL_IND, HASH_IND, COMPLEX_IND, OBSERVED, ATTACK, MALWARE, VULN, REL]),
        _sdo("indicator", URL_IND, name="Kit URL", description="Landing page",
             pattern="[url:value = 'http://login-bank.example.com/it\\'s']", pattern_type="stix",
             valid_from=T0, valid_until="2027-01-01T00:00:00.000Z", created_by_ref=ACME,
             object_marking_refs=[GREEN]),
        _sdo("indicator", HASH_IND, name="Kit archive", description="Two hashes",
             pattern=f"[file:hashes.'SHA-256' = '{SHA256}' OR file:hashes.MD5 = '{MD5}']",
             pattern_type="stix", valid_from=T0, created_by_ref=ACME),
        _sdo("indicator", LOOSE_IND, name="Scanner", description="Not in the report",
             pattern="[ipv4-addr:value = '203.0.113.7']", pattern_type="stix", valid_from=T0,
             object_marking_refs=[AMBER]),
        _sdo("indicator", COMPLEX_IND, name="Both", description="AND is kept as it came",
             pattern="[ipv4-addr:value = '198.51.100.1' AND domain-name:value = 'x.example']",
             pattern_type="stix", valid_from=T0),
        _sdo("observed-data", OBSERVED, first_observed=T0, last_observed=T1, number_observed=2,
             object_refs=[IPV4_SCO, DOMAIN_SCO]),
        {"type": "ipv4-addr", "spec_version": "2.1", "id": IPV4_SCO, "value": "198.51.100.3"},
        {"type": "domain-name", "spec_version": "2.1", "id": DOMAIN_SCO,
         "value": "login-bank.example.com"},
        _sdo("attack-pattern", ATTACK, name="Phishing", external_references=[
            {"source_name": "mitre-attack", "external_id": "T1566"}]),
        _sdo("malware", MALWARE, name="BankKit", is_family=True, malware_types=["trojan"]),
        _sdo("vulnerability", VULN, name="CVE-2021-44228", external_references=[
            {"source_name": "cve", "external_id": "CVE-2021-44228"}]),
        _sdo("relationship", REL, relationship_type="indicates", source_ref=URL_IND,
             target_ref=MALWARE),
        _sdo("sighting", SIGHTING, sighting_of_ref=URL_IND, where_sighted_refs=[ACME], count=3,
             last_seen=T1),
        _sdo("x-acme-thing", THING, colour="teal", sizes=[1, 2.5, {"deep": None}],
             extensions={EXT: {"extension_type": "new-sdo"}}),
    ]  # fmt: skip
    return {"type": "bundle", "id": "bundle--e81940ab-f607-4289-8abb-3d7e8f9aabbc",
            "objects": copy.deepcopy(objects)}  # fmt: skip
