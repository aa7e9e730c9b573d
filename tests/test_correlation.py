"""Correlation: events sharing a value (exactly or by CIDR containment) are linked, from an
index of values, and nobody sees a link to, or a count of, an event or indicator they may
not see."""

from __future__ import annotations

import pytest

from certfed.intel.correlation import (
    access_correlations,
    correlation_counts,
    correlation_report,
    rebuild_value_stats,
    reset_caches,
)
from certfed.intel.models import ValueStat


@pytest.fixture(autouse=True)
def _fresh_caches():
    reset_caches()
    yield
    reset_caches()


def linked(fed, who: str, event) -> dict[str, set[str]]:
    """{other event title: shared source values} as `who` sees it."""
    return {
        c.event.title: {s.value for s in c.shared}
        for c in access_correlations(fed.viewer(who), event)
    }


def test_events_sharing_a_value_are_linked_both_ways(fed):
    a = fed.event("alpha", title="A", distribution="federation",
                  indicators=["evil-a.example", "203.0.113.50"])  # fmt: skip
    b = fed.event("bravo", title="B", distribution="federation",
                  indicators=["EVIL-A.example", "unrelated.example"])  # fmt: skip
    assert linked(fed, "alpha", a) == {"B": {"evil-a.example"}}
    assert linked(fed, "bravo", b) == {"A": {"evil-a.example"}}
    # Not linked to itself, and an event with nothing in common has no correlations.
    c = fed.event("bravo", title="C", distribution="federation", indicators=["alone.example"])
    assert linked(fed, "bravo", c) == {}


def test_correlations_never_show_or_count_an_invisible_event(fed):
    a = fed.event("alpha", title="A", distribution="community", indicators=["shared.example"])
    fed.event("bravo", title="Bravo only", distribution="organisation",
              indicators=["shared.example"])  # fmt: skip
    fed.event("bravo", title="Draft", distribution="federation", published=False,
              indicators=["shared.example"])  # fmt: skip
    fed.event("bravo", title="Community", distribution="community",
              indicators=["shared.example"])  # fmt: skip
    assert linked(fed, "alpha", a) == {"Community": {"shared.example"}}
    assert correlation_counts(fed.viewer("alpha"), [a.pk]) == {a.pk: 1}
    # BRAVO sees its own organisation-only event and its draft too.
    bravo_side = {c.event.title for c in access_correlations(fed.viewer("bravo"), a)}
    assert bravo_side == {"Bravo only", "Draft", "Community"}
    # The vendor (commercial) is outside the community audience: A itself is invisible to it,
    # so it gets nothing at all.
    assert access_correlations(fed.viewer("vendor"), a) == []


def test_narrowed_indicators_count_on_neither_side_for_those_outside(fed):
    # BRAVO's federation event holds the value only in an indicator narrowed to BRAVO.
    b = fed.event("bravo", title="B", distribution="federation", indicators=[
        {"value": "secret.example", "distribution": "organisation"}, "open.example"])  # fmt: skip
    a = fed.event("alpha", title="A", distribution="federation",
                  indicators=["secret.example"])  # fmt: skip
    assert linked(fed, "alpha", a) == {}
    assert correlation_counts(fed.viewer("alpha"), [a.pk, b.pk]) == {a.pk: 0, b.pk: 0}
    # Seen from B, ALPHA may not see the narrowed indicator: no link through it either.
    assert linked(fed, "alpha", b) == {}
    # BRAVO sees its own indicator, so it sees the link.
    assert linked(fed, "bravo", b) == {"A": {"secret.example"}}


def test_cidr_containment_links_addresses_and_networks_both_ways(fed):
    net = fed.event("alpha", title="Net", distribution="federation",
                    indicators=["198.51.100.0/24"])  # fmt: skip
    addr = fed.event("bravo", title="Addr", distribution="federation",
                     indicators=["198.51.100.77", "2001:db8::5"])  # fmt: skip
    inner = fed.event("gamma", title="Inner", distribution="federation",
                      indicators=["198.51.100.64/26"])  # fmt: skip
    v6 = fed.event("gamma", title="V6", distribution="federation",
                   indicators=["2001:db8::/32"])  # fmt: skip
    fed.event("gamma", title="Outside", distribution="federation",
              indicators=["198.51.101.1"])  # fmt: skip
    assert linked(fed, "alpha", net) == {"Addr": {"198.51.100.0/24"},
                                         "Inner": {"198.51.100.0/24"}}  # fmt: skip
    assert linked(fed, "alpha", addr) == {"Net": {"198.51.100.77"},
                                          "Inner": {"198.51.100.77"},
                                          "V6": {"2001:db8::5"}}  # fmt: skip
    assert linked(fed, "alpha", inner) == {"Net": {"198.51.100.64/26"},
                                           "Addr": {"198.51.100.64/26"}}  # fmt: skip
    assert linked(fed, "alpha", v6) == {"Addr": {"2001:db8::/32"}}
    report = correlation_report(fed.viewer("alpha"), addr)
    via = {(c.event.title, s.via, s.other_value) for c in report.correlations for s in c.shared}
    assert ("Net", "cidr", "198.51.100.0/24") in via


def test_containment_respects_the_gate(fed):
    fed.event("bravo", title="Hidden net", distribution="organisation",
              indicators=["198.51.100.0/24"])  # fmt: skip
    addr = fed.event("alpha", title="Addr", distribution="federation",
                     indicators=["198.51.100.9"])  # fmt: skip
    assert linked(fed, "alpha", addr) == {}
    assert linked(fed, "bravo", addr) == {"Hidden net": {"198.51.100.9"}}


def test_over_correlating_values_are_marked_not_expanded(fed, settings):
    settings.CERTFED_CORRELATION_MAX_EVENTS = 3
    events = [
        fed.event("bravo", title=f"E{i}", distribution="federation",
                  indicators=["popular.example", f"rare{i}.example"])
        for i in range(4)
    ]  # fmt: skip
    other = fed.event("alpha", title="Rare", distribution="federation",
                      indicators=["popular.example", "rare0.example"])  # fmt: skip
    stat = ValueStat.objects.get(value="popular.example")
    assert stat.event_count == 5 and stat.over_correlating
    report = correlation_report(fed.viewer("alpha"), other)
    assert report.over_correlating == [("popular.example", "domain")]
    assert {c.event.title: {s.value for s in c.shared} for c in report.correlations} == {
        "E0": {"rare0.example"}
    }
    # Counted per viewer: when only three events holding it are visible (E3, Rare and a new
    # one), the value is not over-correlating for that viewer and it is expanded.
    for e in events[:3]:
        e.distribution = "organisation"
        e.save()
    mine = fed.event("alpha", title="Mine", distribution="organisation",
                     indicators=["popular.example"])  # fmt: skip
    report = correlation_report(fed.viewer("alpha"), mine)
    assert report.over_correlating == []
    assert {c.event.title for c in report.correlations} == {"E3", "Rare"}


def test_storage_grows_with_distinct_values_not_pairs(fed, settings):
    settings.CERTFED_CORRELATION_MAX_EVENTS = 100
    events = [
        fed.event("alpha", title=f"E{i}", distribution="federation",
                  indicators=["same.example", "also-same.example"])
        for i in range(12)
    ]  # fmt: skip
    # 12 events, 66 pairs each way: still two rows.
    assert ValueStat.objects.filter(value__in=["same.example", "also-same.example"]).count() == 2
    assert ValueStat.objects.get(value="same.example").event_count == 12
    from certfed.audit.log import CLI
    from certfed.intel.actions import do_delete_event

    for e in events[:11]:
        do_delete_event(CLI, fed.viewer("alpha"), e)
    assert ValueStat.objects.get(value="same.example").event_count == 1
    do_delete_event(CLI, fed.viewer("alpha"), events[11])
    gone = ValueStat.objects.get(value="same.example")
    assert gone.event_count == 0 and not gone.over_correlating
    assert rebuild_value_stats() >= 2


def test_over_correlation_limit_change_is_applied_by_a_rebuild(fed, settings):
    for i in range(3):
        fed.event("alpha", title=f"E{i}", distribution="federation", indicators=["x.example"])
    assert not ValueStat.objects.get(value="x.example").over_correlating
    settings.CERTFED_CORRELATION_MAX_EVENTS = 2
    rebuild_value_stats()
    assert ValueStat.objects.get(value="x.example").over_correlating


def test_values_changed_by_an_update_move_the_statistics(fed):
    a = fed.event("alpha", title="A", distribution="federation", indicators=["old.example"])
    fed.event("bravo", title="B", distribution="federation", indicators=["old.example"])
    from certfed.audit.log import CLI
    from certfed.intel.actions import do_update_event

    do_update_event(CLI, fed.viewer("alpha"), a, {"indicators": ["new.example"]})
    assert ValueStat.objects.get(value="old.example").event_count == 1
    assert ValueStat.objects.get(value="new.example").event_count == 1
    assert linked(fed, "alpha", a) == {}


# -- the API ----------------------------------------------------------------------------------


def test_correlations_endpoint_is_gate_filtered(fed):
    a = fed.event("alpha", title="A", distribution="community",
                  indicators=["shared.example", "198.51.100.1"])  # fmt: skip
    b = fed.event("bravo", title="B", distribution="community",
                  indicators=["shared.example", "198.51.100.0/24"])  # fmt: skip
    fed.event("bravo", title="Hidden", distribution="organisation",
              indicators=["shared.example"])  # fmt: skip
    r = fed.api("alpha", "read").get(f"/events/{a.uuid}/correlations")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["event"] == str(a.uuid) and body["correlation_count"] == 1
    (only,) = body["correlations"]
    assert only["event"]["uuid"] == str(b.uuid) and only["event"]["owner"] == "BRAVO"
    assert only["count"] == 2
    assert {(s["value"], s["via"], s["matched"]) for s in only["shared"]} == {
        ("shared.example", "exact", "shared.example"),
        ("198.51.100.1", "cidr", "198.51.100.0/24"),
    }
    assert body["over_correlating"] == []
    # The vendor may not see A: 404, exactly like an event that does not exist.
    assert fed.api("vendor", "read").get(f"/events/{a.uuid}/correlations").status_code == 404
    assert fed.api("vendor", "read").get("/events/not-a-uuid/correlations").status_code == 404
    assert fed.api(None).get(f"/events/{a.uuid}/correlations").status_code == 404


def test_suspended_organisations_get_401(suspended):
    fed = suspended
    a = fed.event("alpha", title="A", distribution="federation", indicators=["x.example"])
    assert fed.api("susp", "read").get(f"/events/{a.uuid}/correlations").status_code == 401


def test_event_json_counts_visible_correlations_only(fed):
    a = fed.event("alpha", title="A", distribution="community", indicators=["shared.example"])
    fed.event("bravo", title="B", distribution="community", indicators=["shared.example"])
    fed.event("bravo", title="Hidden", distribution="organisation",
              indicators=["shared.example"])  # fmt: skip
    doc = fed.api("alpha", "read").get(f"/events/{a.uuid}").json()
    assert doc["correlation_count"] == 1
    listed = {e["title"]: e for e in fed.api("alpha", "read").get("/events").json()["results"]}
    assert listed["A"]["correlation_count"] == 1 and listed["B"]["correlation_count"] == 1
    bravo = {e["title"]: e for e in fed.api("bravo", "read").get("/events").json()["results"]}
    assert bravo["A"]["correlation_count"] == 2 and bravo["Hidden"]["correlation_count"] == 2


def test_event_list_queries_do_not_grow_with_the_page(fed, django_assert_max_num_queries):
    api = fed.api("alpha", "read")

    def make(n: int, start: int) -> None:
        for i in range(start, start + n):
            fed.event("alpha", title=f"E{i}", distribution="federation",
                      indicators=[f"v{i}.example", "shared.example", f"198.51.100.{i}",
                                  "198.51.100.0/24"])  # fmt: skip

    make(2, 0)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert api.get("/events").status_code == 200
    make(18, 2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = api.get("/events").json()
    assert body["count"] == 20
    assert all(e["correlation_count"] == 19 for e in body["results"])


def test_event_page_shows_correlations(fed):
    from django.test import Client

    a = fed.event("alpha", title="Phish A", distribution="federation",
                  indicators=["shared.example"])  # fmt: skip
    b = fed.event("bravo", title="Phish B", distribution="federation",
                  indicators=["shared.example"])  # fmt: skip
    client = Client()
    client.force_login(fed.users["alpha"])
    page = client.get(f"/events/{a.uuid}/").content.decode()
    assert "Correlated events" in page and f"/events/{b.uuid}/" in page and "Phish B" in page
