"""POST /api/v1/import: what `certfed import` does, for machines — a STIX bundle, MISP JSON
or CSV as the body, all or nothing, idempotent, refused with every problem named."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

from certfed.intel.models import Event, Indicator
from tests.exchange import stix_samples
from tests.exchange.test_misp import pymisp_event

pytestmark = pytest.mark.django_db


def post(fed, who, body, content_type="application/json", scope="write", **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {fed.keys[(who, scope)]}"} if who else {}
    query = "&".join(f"{k}={v}" for k, v in params.items())
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Client().post(f"/api/v1/import?{query}", data, content_type=content_type, **headers)


def test_a_stix_bundle_imports_once_and_is_visible_as_labelled(fed):
    r = post(fed, "alpha", stix_samples.bundle(), distribution="federation", tlp="green")
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["events_created"] >= 1 and out["indicators_written"] >= 4 and not out["skipped"]
    report = Event.objects.get(uuid=stix_samples.REPORT.split("--")[1])
    assert report.owner.short_name == "ALPHA" and str(report.uuid) in out["events"]
    assert report.distribution == "federation" and report.tlp == "GREEN"
    again = post(fed, "alpha", stix_samples.bundle(), distribution="federation", tlp="green")
    assert again.json()["events_created"] == again.json()["events_updated"] == 0
    # Readable through the gate like anything else: a federation member sees it.
    assert fed.api("bravo", "read").get(f"/events/{report.uuid}").status_code == 200


def test_misp_json_and_csv_are_detected_or_named(fed):
    misp = json.loads(pymisp_event().to_json())
    r = post(fed, "alpha", {"Event": misp})
    assert r.status_code == 200 and r.json()["events_created"] == 1, r.content
    csv = b"value,type,comment\n192.0.2.10,ipv4,scanner\nevil.example,domain,\n"
    r = post(fed, "alpha", csv, content_type="text/csv")
    assert r.status_code == 200 and r.json()["indicators_written"] == 2, r.content
    assert Indicator.objects.filter(value="evil.example", event__owner__short_name="ALPHA")


def test_a_bad_object_refuses_the_file_naming_every_problem(fed):
    bundle = stix_samples.bundle()
    bundle["objects"][3]["pattern"] = "[ipv4-addr:value = '1.2.3.999']"
    bundle["objects"][4]["pattern"] = "[ipv4-addr:value = '1.2.3.998']"
    r = post(fed, "alpha", bundle)
    assert r.status_code == 422
    problems = r.json()["problems"]
    assert [p["position"] for p in problems] == ["objects[3]", "objects[4]"]
    assert "1.2.3.999" in problems[0]["reason"] and "1.2.3.998" in problems[1]["reason"]
    assert r.json()["detail"] == f"objects[3]: {problems[0]['reason']} (and 1 more)"
    assert Event.objects.count() == 0 and Indicator.objects.count() == 0
    kept = post(fed, "alpha", bundle, skip_invalid="true")
    # (and what referred to a skipped object: the sighting of it)
    assert kept.status_code == 200 and kept.json()["skipped"][:2] == problems
    assert Indicator.objects.exists()
    # A malformed object is named as well.
    bundle["objects"].append({"type": "indicator", "id": "nope"})
    r = post(fed, "alpha", bundle)
    assert r.status_code == 422 and r.json()["problems"][-1]["position"] == (
        f"objects[{len(bundle['objects']) - 1}]"
    )
    assert "'nope' is not a STIX identifier" in r.json()["problems"][-1]["reason"]


def test_who_may_import_and_what_is_refused_up_front(fed):
    bundle = stix_samples.bundle()
    assert post(fed, None, bundle).status_code == 401
    r = post(fed, "alpha", bundle, scope="read")
    assert r.status_code == 403 and "read-only" in r.json()["detail"]
    assert post(fed, "alpha_viewer", bundle, scope="read").status_code == 403
    r = post(fed, "alpha", bundle, tlp="purple")
    assert r.status_code == 422 and r.json()["field"] == "tlp"
    r = post(fed, "alpha", bundle, distribution="public", tlp="amber")
    assert r.status_code == 422 and r.json()["field"] in ("distribution", "tlp")
    r = post(fed, "alpha", b"   ")
    assert r.status_code == 422 and r.json()["field"] == "body"
    r = post(fed, "alpha", b'{"type": "bundle", "objects": [{"name": "a\\u0000b"}]}')
    assert r.status_code == 400 and "NUL" in r.json()["detail"]
    r = post(fed, "alpha", b"value\n192.0.2.1\x00\n", content_type="text/csv")
    assert r.status_code == 400 and "NUL" in r.json()["detail"]
    r = Client().post(
        "/api/v1/import",
        b"value\n192.0.2.1\n",
        content_type="text/csv",
        CONTENT_LENGTH="",
        HTTP_AUTHORIZATION=f"Bearer {fed.keys[('alpha', 'write')]}",
    )
    assert r.status_code == 411 and "Content-Length" in r.json()["detail"]
    with override_settings(CERTFED_IMPORT_MAX_BYTES=100):
        r = post(fed, "alpha", bundle)
    assert r.status_code == 413 and "limit of 100 bytes" in r.json()["detail"]
    assert Event.objects.count() == 0


def test_the_import_is_documented(fed):
    doc = Client().get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/import"]["post"]
    assert {"application/json", "text/csv"} <= set(op["requestBody"]["content"])
    assert {"200", "403", "411", "413", "422"} <= set(op["responses"])


def test_text_that_only_looks_like_a_nul_is_imported(fed):
    # A CSV comment with the six characters \u0000, and JSON text with an escaped backslash
    # before "u0000": neither holds a NUL.
    csv = b"value,comment\n192.0.2.10,\\u0000 is how JSON writes NUL\n"
    r = post(fed, "alpha", csv, content_type="text/csv")
    assert r.status_code == 200, r.content
    comment = Indicator.objects.get(value="192.0.2.10").comment
    assert comment == "\\u0000 is how JSON writes NUL"
    bundle = stix_samples.bundle()
    bundle["objects"][2]["description"] = "literally \\u0000"
    r = post(fed, "alpha", bundle)
    assert r.status_code == 200, r.content
    assert Event.objects.get(uuid=stix_samples.REPORT.split("--")[1]).description == (
        "literally \\u0000"
    )


def test_csv_rows_of_one_event_are_one_event_however_its_uuid_is_written(fed):
    u = "6f1c3a52-9d0e-4b7a-8c2d-1e5f4a3b2c10"
    csv = f"value,event_uuid\n192.0.2.1,{u}\n192.0.2.2,{u.upper()}\n".encode()
    r = post(fed, "alpha", csv, content_type="text/csv")
    assert r.status_code == 200 and r.json()["events"] == [u], r.content
    assert Event.objects.get(uuid=u).indicators.count() == 2


def test_an_import_for_the_organisation_stays_invisible_to_others(fed):
    r = post(fed, "alpha", stix_samples.bundle(), distribution="organisation", tlp="amber")
    assert r.status_code == 200, r.content
    report = stix_samples.REPORT.split("--")[1]
    assert fed.api("alpha", "read").get(f"/events/{report}").status_code == 200
    for who in ("bravo", "vendor"):
        assert fed.api(who, "read").get(f"/events/{report}").status_code == 404
        found = fed.api(who, "read").get("/indicators", value="203.0.113.7").json()
        assert found["count"] == 0
