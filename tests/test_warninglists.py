"""Warninglists: the MISP lists shipped in pymispwarninglists flag indicators as they are
written, and the flag shows on indicators and keeps them out of detection exports."""

from __future__ import annotations

from certfed.intel import warninglists
from certfed.intel.lifetime import detection_filter
from certfed.sharing.access import access_indicators


def test_well_known_values_hit_their_lists():
    assert "List of RFC 1918 CIDR blocks" in warninglists.hits("ipv4", "10.1.2.3")
    assert warninglists.warninglist_for("ipv4", "10.1.2.3") == "List of RFC 1918 CIDR blocks"
    assert warninglists.warninglist_for("ipv4", "8.8.8.8") == (
        "List of known IPv4 public DNS resolvers"
    )
    assert "List of known IPv6 public DNS resolvers" in warninglists.hits(
        "ipv6", "2001:4860:4860::8888"
    )
    google = warninglists.hits("domain", "google.com")
    assert any("Top" in name or "top" in name for name in google), google
    assert warninglists.warninglist_for("domain", "google.com")
    assert warninglists.warninglist_for("md5", "d41d8cd98f00b204e9800998ecf8427e") == (
        "List of known hashes for empty files"
    )
    # A network inside a listed one is listed; one wider than every list is not.
    assert "List of RFC 1918 CIDR blocks" in warninglists.hits("cidr", "10.1.0.0/16")
    assert "List of RFC 1918 CIDR blocks" not in warninglists.hits("cidr", "8.0.0.0/5")
    # Host names under a listed one hit hostname lists; a URL is checked by its host.
    assert warninglists.hits("url", "https://www.google.com/search?q=x")
    assert warninglists.hits("email", "someone@mailinator.com")


def test_a_fictional_value_hits_nothing():
    for type_name, value in [
        ("domain", "qzx-fictional-7781.example"),
        ("domain", "deep.sub.qzx-fictional-7781.example"),
        ("url", "https://qzx-fictional-7781.example/a"),
        ("ipv4", "5.6.7.8"),
        ("sha256", "a" * 64),
        ("cve", "CVE-2024-3400"),
    ]:
        assert warninglists.warninglist_for(type_name, value) == "", (type_name, value)
        assert warninglists.hits(type_name, value) == []


def test_writers_flag_indicators_and_the_api_shows_it(fed):
    event = fed.event("alpha", title="Mixed", distribution="federation",
                      indicators=["10.1.2.3", "8.8.8.8", "google.com",
                                  "qzx-fictional-7781.example"])  # fmt: skip
    flags = dict(event.indicators.values_list("value", "warninglist"))
    assert flags["10.1.2.3"] == "List of RFC 1918 CIDR blocks"
    assert flags["8.8.8.8"] == "List of known IPv4 public DNS resolvers"
    assert flags["google.com"] != "" and flags["qzx-fictional-7781.example"] == ""
    doc = fed.api("alpha", "read").get(f"/events/{event.uuid}").json()
    shown = {i["value"]: i["warninglist"] for i in doc["indicators"]}
    assert shown == flags
    # Detection exports leave warninglisted indicators out unless asked.
    visible = access_indicators(fed.viewer("alpha")).filter(event=event)
    assert set(detection_filter(visible).values_list("value", flat=True)) == {
        "qzx-fictional-7781.example"
    }
    assert detection_filter(visible, include_warninglisted=True).count() == 4


def test_event_page_shows_the_hit(fed, client):
    event = fed.event("alpha", title="Mixed", indicators=["10.1.2.3"])
    client.force_login(fed.users["alpha"])
    assert "List of RFC 1918 CIDR blocks" in client.get(f"/events/{event.uuid}/").content.decode()
