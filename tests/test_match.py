"""POST /api/v1/match: observables streamed in (plain lines or JSON lines), the known ones
streamed out with the indicators and events the caller may see — and never more."""

from __future__ import annotations

import random

import orjson
import pytest
from django.test import Client

from certfed.intel import match
from certfed.intel.correlation import reset_caches


@pytest.fixture(autouse=True)
def _fresh_index():
    # The index lives in the process; every test rolls the database back under it.
    match.reset()
    reset_caches()
    yield
    match.reset()


def post(fed, who: str | None, body: str | bytes, content_type: str = "text/plain", **extra):
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {fed.keys[(who, 'read')]}"} if who else {}
    data = body.encode() if isinstance(body, str) else body
    return client.post("/api/v1/match", data, content_type=content_type, **headers, **extra)


def answer(response) -> tuple[list[dict], dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/x-ndjson"
    lines = [orjson.loads(x) for x in b"".join(response.streaming_content).splitlines()]
    assert "summary" in lines[-1]
    return lines[:-1], lines[-1]["summary"]


@pytest.fixture
def store(fed):
    """A few thousand indicators in events of different audiences."""
    shared = [f"host-{i}.shared.example" for i in range(1500)]
    addresses = [f"203.0.113.{i}" for i in range(1, 200)]
    extra = ["198.51.100.0/24", "d41d8cd98f00b204e9800998ecf8427e", "http://login.example/Path?q=1"]
    open_event = fed.event(
        "alpha",
        title="Federation",
        distribution="federation",
        indicators=shared + addresses + extra,
    )
    hidden = fed.event("bravo", title="Bravo only", distribution="organisation",
                       indicators=["secret.example", shared[0], "192.0.2.0/24"])  # fmt: skip
    narrowed = fed.event("bravo", title="Narrowed", distribution="federation", indicators=[
        "open-bravo.example",
        {"value": "narrow.example", "distribution": "organisation"},
    ])  # fmt: skip
    return {"shared": shared, "addresses": addresses, "open": open_event, "hidden": hidden,
            "narrowed": narrowed}  # fmt: skip


def test_thousands_of_plain_lines_with_messy_forms(fed, store):
    shared = store["shared"]
    misses = [f"unknown-{i}.nowhere.example" for i in range(2000)]
    messy = [
        shared[1].upper(),  # upper case
        shared[2].replace(".", "[.]"),  # defanged
        "  " + shared[3] + "  ",  # padded
        "203.0.113[.]7",
        "198.51.100.77",  # inside 198.51.100.0/24: contained
        "HXXP://LOGIN.EXAMPLE/Path?q=1",  # defanged scheme, upper-case host, path kept
        "D41D8CD98F00B204E9800998ECF8427E",
        "host-5.shared.example.",  # trailing dot
        "not an indicator at all",
        "",
    ]
    lines = shared[10:1010] + misses + messy
    random.Random(1).shuffle(lines)
    hits, summary = answer(post(fed, "alpha", "\r\n".join(lines) + "\n"))
    assert summary == {"observables": len(lines) - 1, "matched": 1000 + 8}
    by_value = {h["value"]: h for h in hits}
    assert set(by_value) >= set(shared[10:1010])
    assert not any(v.startswith("unknown-") for v in by_value)
    one = by_value[shared[10]]
    assert one["type"] == "domain" and one["events"] == [str(store["open"].uuid)]
    (ind,) = one["indicators"]
    assert ind["value"] == shared[10] and ind["tlp"] == "AMBER" and ind["type"] == "domain"
    assert by_value[shared[1].upper()]["indicators"][0]["value"] == shared[1]
    assert by_value["203.0.113[.]7"]["indicators"][0]["value"] == "203.0.113.7"
    contained = by_value["198.51.100.77"]
    assert contained["type"] == "ipv4"
    assert [(i["type"], i["value"]) for i in contained["indicators"]] == [
        ("cidr", "198.51.100.0/24")
    ]
    url = by_value["HXXP://LOGIN.EXAMPLE/Path?q=1"]["indicators"][0]["value"]
    assert url == "http://login.example/Path?q=1"
    assert "host-5.shared.example." in by_value and "not an indicator at all" not in by_value


def test_json_lines_with_types(fed, store):
    items = [{"value": v} for v in store["shared"][:500]]
    items += [
        {"value": "203.0.113.9", "type": "ipv4"},
        {"value": "203.0.113.9", "type": "domain"},  # read as a domain: not that indicator
        {"value": "198.51.100.0/25", "type": "cidr"},  # a network inside a stored one
        {"value": "nothing.example"},
    ]
    body = "\n".join(orjson.dumps(i).decode() for i in items) + "\n"
    hits, summary = answer(post(fed, "alpha", body, "application/x-ndjson"))
    assert summary == {"observables": 504, "matched": 502}
    values = [(h["value"], h["type"]) for h in hits[-2:]]
    assert values == [("203.0.113.9", "ipv4"), ("198.51.100.0/25", "cidr")]
    assert hits[-1]["indicators"][0]["value"] == "198.51.100.0/24"


def test_results_never_include_invisible_events_or_indicators(fed, store):
    body = "\n".join([store["shared"][0], "secret.example", "192.0.2.5", "narrow.example",
                      "open-bravo.example"])  # fmt: skip
    hits, summary = answer(post(fed, "alpha", body))
    assert summary == {"observables": 5, "matched": 2}
    by_value = {h["value"]: h for h in hits}
    assert set(by_value) == {store["shared"][0], "open-bravo.example"}
    # The shared value is also in BRAVO's organisation-only event: not shown to ALPHA.
    assert by_value[store["shared"][0]]["events"] == [str(store["open"].uuid)]
    # BRAVO sees its own events and its narrowed indicator.
    hits, summary = answer(post(fed, "bravo", body))
    assert summary["matched"] == 5
    both = {h["value"]: h for h in hits}[store["shared"][0]]
    assert set(both["events"]) == {str(store["open"].uuid), str(store["hidden"].uuid)}
    # The vendor sees only federation events; the narrowed indicator stays hidden.
    hits, _ = answer(post(fed, "vendor", body))
    assert {h["value"] for h in hits} == {store["shared"][0], "open-bravo.example"}


def test_the_index_follows_writes_and_deletes(fed, store):
    hits, _ = answer(post(fed, "alpha", "late.example\nsecond.example"))
    assert hits == []
    later = fed.event("gamma", title="Later", distribution="federation",
                      indicators=["late.example"])  # fmt: skip
    hits, _ = answer(post(fed, "alpha", "late.example\nsecond.example"))
    assert [h["events"] for h in hits] == [[str(later.uuid)]]
    from certfed.audit.log import CLI
    from certfed.intel.actions import do_delete_event, do_update_event

    do_update_event(CLI, fed.viewer("gamma"), later, {"indicators": ["second.example"]})
    hits, _ = answer(post(fed, "alpha", "late.example\nsecond.example"))
    assert [h["value"] for h in hits] == ["second.example"]
    do_delete_event(CLI, fed.viewer("gamma"), later)
    hits, _ = answer(post(fed, "alpha", "late.example\nsecond.example"))
    assert hits == []
    # Relabelling an event needs no index change: visibility is decided per request.
    store["open"].distribution = "organisation"
    store["open"].save()
    hits, _ = answer(post(fed, "vendor", store["shared"][5]))
    assert hits == []


def test_authentication_and_bad_input(suspended, store):
    fed = suspended
    assert post(fed, None, "x.example").status_code == 401
    assert post(fed, "susp", "x.example").status_code == 401
    bad_key = Client().post("/api/v1/match", b"x.example", content_type="text/plain",
                            HTTP_AUTHORIZATION="Bearer nope")  # fmt: skip
    assert bad_key.status_code == 401 and bad_key.json()["detail"].startswith("authentication")
    assert Client().get("/api/v1/match").status_code == 405
    r = post(fed, "alpha", '{"value": "a.example"}\n{"value": 5}\n', "application/x-ndjson")
    assert r.status_code == 422 and r.json()["field"] == "line 2"
    r = post(fed, "alpha", '{"value": "a.example", "type": "nope"}\n', "application/x-ndjson")
    assert r.status_code == 422 and "nope" in r.json()["detail"]
    r = post(fed, "alpha", "not json\n", "application/x-ndjson")
    assert r.status_code == 422 and r.json()["detail"] == "line 1: not valid JSON"
    r = post(fed, "alpha", b"ok.example\n\xff\xfe\n", "text/plain")
    assert r.status_code == 422 and r.json()["detail"] == "line 2: not valid UTF-8"
    assert post(fed, "alpha", "x", "application/pdf").status_code == 415


def test_session_users_need_the_csrf_token(fed, store):
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/api/v1/match", b"x", content_type="text/plain").status_code == 401
    client = Client(enforce_csrf_checks=True)
    client.force_login(fed.users["alpha"])
    refused = client.post("/api/v1/match", b"x.example", content_type="text/plain")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    client.get("/events/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    ok = client.post("/api/v1/match", store["shared"][0].encode(), content_type="text/plain",
                     HTTP_X_CSRFTOKEN=token)  # fmt: skip
    hits, _ = answer(ok)
    assert len(hits) == 1


def test_match_is_audited_with_restricted_reads(fed):
    from certfed.audit.models import AuditEntry

    red = fed.event("alpha", title="Red", tlp="RED", distribution="sharing_group",
                    sharing_group=str(fed.groups["alpha-vendor"].uuid),
                    indicators=["red.example"])  # fmt: skip
    hits, _ = answer(post(fed, "vendor", "red.example"))
    assert hits[0]["indicators"][0]["tlp"] == "RED"
    entry = AuditEntry.objects.filter(action="indicator.match").latest("id")
    assert entry.detail["restricted"] == [str(red.uuid)] and entry.detail["matched"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_server_worker_warms_up_in_the_background_when_asked(monkeypatch, caplog):
    import threading

    from certfed.intel import warninglists
    from certfed.platform.server import warm_up, warm_up_parts

    def in_a_thread(parts):  # as gunicorn's post_worker_init runs it: its own connection
        t = threading.Thread(target=warm_up, args=(parts,))
        t.start()
        t.join()

    monkeypatch.delenv("CERTFED_WARM_UP", raising=False)
    assert warm_up_parts() == set()
    monkeypatch.setattr(warninglists, "_indexes", {})  # as in a new worker: nothing loaded
    monkeypatch.setattr(warninglists, "_by_type", {})
    monkeypatch.setenv("CERTFED_WARM_UP", "warninglists")
    in_a_thread(warm_up_parts())
    assert set(warninglists._indexes) == set(warninglists.FAMILIES)
    assert match._holder.index is None  # the matching index only when asked for
    monkeypatch.setenv("CERTFED_WARM_UP", "warninglists, match")
    in_a_thread(warm_up_parts())
    assert match._holder.index is not None
    # A failing warm-up is logged, never raised: the first request does the work instead.
    match.reset()
    monkeypatch.setattr(match, "warm", lambda: 1 / 0)
    in_a_thread({"match"})
    assert "warm-up failed" in caplog.text
    monkeypatch.setenv("CERTFED_WARM_UP", "match,everything")
    with pytest.raises(ValueError, match="everything is not one of warninglists, match"):
        warm_up_parts()
