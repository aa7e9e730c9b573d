"""Indicator lifetime: valid_until, MISP's polynomial decay per type refreshed by
sightings, and the detection filter every detection export applies."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from certfed.intel.lifetime import decay_model, decay_score, detection_filter, is_decayed
from certfed.intel.models import Indicator
from certfed.intel.sightings import IncomingSighting, do_add_sightings
from certfed.sharing.access import access_indicators

DAY = dt.timedelta(days=1)


def make(fed, who="alpha", **event):
    event.setdefault("distribution", "federation")
    return fed.event(who, title="Lifetime", **event)


def test_decay_score_follows_the_misp_polynomial_per_type(fed):
    now = timezone.now()
    event = make(fed, indicators=[
        {"value": "198.51.100.1", "first_seen": (now - 10 * DAY).isoformat()},
        {"value": "old.example", "first_seen": (now - 100 * DAY).isoformat()},
        {"value": "f" * 64, "first_seen": (now - 100 * DAY).isoformat()},
    ])  # fmt: skip
    ip, domain, sha = (event.indicators.get(value=v) for v in
                       ("198.51.100.1", "old.example", "f" * 64))  # fmt: skip
    # 80 * (1 - (10/60) ** (1/2)) for an address (lifetime 60 days).
    assert abs(decay_score(ip, now) - 80 * (1 - (10 / 60) ** 0.5)) < 0.01
    assert not is_decayed(ip, now)
    assert is_decayed(domain, now)  # 100 days into a 120-day lifetime
    assert not is_decayed(sha, now)  # hashes live for two years
    assert decay_model("ipv4").lifetime_days == 60


def test_sightings_refresh_decay_for_those_who_may_see_them(fed):
    now = timezone.now()
    event = make(fed, indicators=[
        {"value": "stale.example", "first_seen": (now - 100 * DAY).isoformat()}])  # fmt: skip
    ind = event.indicators.get()
    assert is_decayed(ind, now)
    # BRAVO sights it, for itself only.
    do_add_sightings(fed.ctx("bravo"), fed.viewer("bravo"),
                     [IncomingSighting("sighting", "stale.example", None, time=now)])  # fmt: skip
    ind.refresh_from_db()
    assert ind.last_sighted == now and not is_decayed(ind, now)
    # ALPHA may not see BRAVO's sighting: its view of the score is unchanged …
    alpha_doc = fed.api("alpha", "read").get(f"/events/{event.uuid}").json()["indicators"][0]
    bravo_doc = fed.api("bravo", "read").get(f"/events/{event.uuid}").json()["indicators"][0]
    assert alpha_doc["decay_score"] < 30 < bravo_doc["decay_score"]
    # … and so is its detection export.
    alpha_qs = access_indicators(fed.viewer("alpha")).filter(event=event)
    bravo_qs = access_indicators(fed.viewer("bravo")).filter(event=event)
    assert not detection_filter(alpha_qs, now=now, viewer=fed.viewer("alpha")).exists()
    assert detection_filter(bravo_qs, now=now, viewer=fed.viewer("bravo")).exists()
    # Without a viewer, every sighting refreshes (the owner's or maintenance view).
    assert detection_filter(alpha_qs, now=now).exists()


def test_detection_filter_flags(fed):
    now = timezone.now()
    event = make(fed, indicators=[
        {"value": "live.example"},
        {"value": "expired.example", "valid_until": (now - DAY).isoformat()},
        {"value": "later.example", "valid_until": (now + DAY).isoformat()},
        {"value": "quiet.example", "to_detect": False},
        {"value": "decayed.example", "first_seen": (now - 200 * DAY).isoformat()},
        "10.9.9.9",  # RFC 1918: warninglisted
    ])  # fmt: skip
    qs = access_indicators(fed.viewer("alpha")).filter(event=event)

    def kept(**flags) -> set[str]:
        return set(detection_filter(qs, now=now, **flags).values_list("value", flat=True))

    assert kept() == {"live.example", "later.example"}
    assert kept(include_expired=True) == {"live.example", "later.example", "expired.example"}
    assert kept(include_non_detect=True) == {"live.example", "later.example", "quiet.example"}
    assert kept(include_decayed=True) == {"live.example", "later.example", "decayed.example"}
    assert kept(include_warninglisted=True) == {"live.example", "later.example", "10.9.9.9"}
    everything = dict(include_expired=True, include_non_detect=True, include_decayed=True,
                      include_warninglisted=True)  # fmt: skip
    assert kept(**everything) == set(qs.values_list("value", flat=True))
    # Later, the live ones decay too (a domain: 120 days, decayed after ~47).
    assert not detection_filter(qs, now=now + 60 * DAY).exists()


def test_sql_cutoff_agrees_with_the_python_score(fed):
    now = timezone.now()
    values = [(f"d{i}.example", now - i * 3 * DAY) for i in range(40)]
    event = make(fed, indicators=[{"value": v, "first_seen": t.isoformat()} for v, t in values])
    qs = access_indicators(fed.viewer("alpha")).filter(event=event)
    live = set(detection_filter(qs, now=now).values_list("value", flat=True))
    by_python = {i.value for i in Indicator.objects.filter(event=event)
                 if not is_decayed(i, now)}  # fmt: skip
    assert live == by_python and 0 < len(live) < 40


def test_decay_settings(fed, settings):
    settings.CERTFED_DECAY = {"lifetime_days": {"domain": 10}, "threshold": 50}
    model = decay_model("domain")
    assert (model.lifetime_days, model.threshold, model.base_score) == (10, 50, 80)
    settings.CERTFED_DECAY = {"threshold": 90}  # above the base score: everything decayed
    event = make(fed, indicators=["fresh.example"])
    qs = access_indicators(fed.viewer("alpha")).filter(event=event)
    assert not detection_filter(qs).exists()
