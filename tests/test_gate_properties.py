"""Property test of the sharing gate: random federations, users and objects, every read
surface compared with an independent model of the rules in ARCHITECTURE.md.

The model below is written from the rules' text, not from the gate's code: if either is
wrong, they disagree on some generated federation and hypothesis shrinks it to a minimal
counterexample.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certfed.intel.models import Event, Indicator
from certfed.members.models import ApiKey, Organisation, User
from certfed.members.models.apikey import hash_key
from certfed.sharing.models import SharingGroup

CATEGORIES = ["full", "general", "professional", "affiliate", "commercial"]
COMMUNITY = {"full", "general"}  # the default community
TLPS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]
DISTS = ["organisation", "sharing_group", "community", "federation", "public"]
VALUES = [f"198.51.100.{i}" for i in range(1, 7)]  # a small pool so events share values


@dataclass
class OrgSpec:
    category: str
    active: bool


@dataclass
class LabelSpec:
    tlp: str
    distribution: str
    group: int | None


@dataclass
class IndicatorSpec:
    value: str
    own: LabelSpec | None


@dataclass
class EventSpec:
    owner: int
    labels: LabelSpec
    published: bool
    indicators: list[IndicatorSpec]


@st.composite
def labels(draw, n_groups: int) -> LabelSpec:
    tlp = draw(st.sampled_from(TLPS))
    allowed = [d for d in DISTS if not (d == "sharing_group" and n_groups == 0)]
    if tlp == "RED":
        allowed = [d for d in allowed if d in ("organisation", "sharing_group")]
    if tlp != "CLEAR":
        allowed = [d for d in allowed if d != "public"]
    dist = draw(st.sampled_from(allowed))
    group = draw(st.integers(0, n_groups - 1)) if dist == "sharing_group" else None
    return LabelSpec(tlp, dist, group)


@st.composite
def federations(draw):
    orgs = draw(
        st.lists(
            st.builds(OrgSpec, st.sampled_from(CATEGORIES), st.booleans().map(lambda b: b or b)),
            min_size=2,
            max_size=5,
        )
    )
    # Make roughly one org in five suspended.
    orgs = [OrgSpec(o.category, draw(st.integers(0, 4)) > 0) for o in orgs]
    n = len(orgs)
    groups = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.sets(st.integers(0, n - 1), max_size=n)),
            max_size=3,
        )
    )
    events = draw(
        st.lists(
            st.builds(
                EventSpec,
                st.integers(0, n - 1),
                labels(len(groups)),
                st.booleans(),
                st.lists(
                    st.builds(
                        IndicatorSpec,
                        st.sampled_from(VALUES),
                        st.none() | labels(len(groups)),
                    ),
                    max_size=3,
                    unique_by=lambda i: i.value,
                ),
            ),
            min_size=1,
            max_size=8,
        )
    )
    return orgs, groups, events


# -- the independent model ---------------------------------------------------------------


def in_audience(lab: LabelSpec, owner: int, viewer: int | None, orgs, groups) -> bool:
    if viewer is None:
        return lab.distribution == "public"
    if not orgs[viewer].active:
        return False
    if viewer == owner or lab.distribution in ("federation", "public"):
        return True
    if lab.distribution == "community":
        return orgs[viewer].category in COMMUNITY
    if lab.distribution == "sharing_group":
        g_owner, members = groups[lab.group]
        return viewer == g_owner or viewer in members
    return False


def model_sees_event(ev: EventSpec, viewer: int | None, orgs, groups) -> bool:
    if not ev.published and viewer != ev.owner:
        return False
    return in_audience(ev.labels, ev.owner, viewer, orgs, groups)


def model_sees_indicator(ev, ind, viewer, orgs, groups) -> bool:
    if not model_sees_event(ev, viewer, orgs, groups):
        return False
    return ind.own is None or in_audience(ind.own, ev.owner, viewer, orgs, groups)


# -- building the generated federation in the database ------------------------------------


def build(orgs, groups, events):
    db_orgs = [
        Organisation.objects.create(
            name=f"Org {i}",
            short_name=f"ORG{i}",
            country="MY",
            category=o.category,
            status="active" if o.active else "suspended",
        )  # fmt: skip
        for i, o in enumerate(orgs)
    ]
    users, keys = [], []
    for i, org in enumerate(db_orgs):
        u = User.objects.create_user(f"u{i}@org{i}.example", None, organisation=org)
        key = f"cfk_test_{uuid.uuid4().hex}"
        ApiKey.objects.create(user=u, prefix=key[:10], key_hash=hash_key(key), scope="read")
        users.append(u)
        keys.append(key)
    db_groups = []
    for gi, (owner, members) in enumerate(groups):
        g = SharingGroup.objects.create(name=f"G{gi}", owner=db_orgs[owner])
        g.members.set([db_orgs[m] for m in members | {owner}])
        db_groups.append(g)
    db_events = []
    for ei, ev in enumerate(events):
        e = Event.objects.create(
            title=f"event-{ei}-marker", date="2026-01-01", owner=db_orgs[ev.owner],
            originator=db_orgs[ev.owner], tlp=ev.labels.tlp, pap="AMBER",
            distribution=ev.labels.distribution, published=ev.published,
            sharing_group=db_groups[ev.labels.group] if ev.labels.group is not None else None,
        )  # fmt: skip
        inds = []
        for ind in ev.indicators:
            own = ind.own
            inds.append(
                Indicator.objects.create(
                    event=e,
                    type="ipv4",
                    value=ind.value,
                    tlp=own.tlp if own else None,
                    distribution=own.distribution if own else None,
                    sharing_group=db_groups[own.group] if own and own.group is not None else None,
                )  # fmt: skip
            )
        db_events.append((e, inds))
    return users, keys, db_events


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fed=federations())
def test_every_read_surface_matches_the_model(fed):
    orgs, groups, events = fed
    try:
        with transaction.atomic():
            users, keys, db_events = build(orgs, groups, events)
            for viewer in [None, *range(len(orgs))]:
                check_viewer(viewer, orgs, groups, events, users, keys, db_events)
            raise _Rollback
    except _Rollback:
        pass


def check_viewer(viewer, orgs, groups, events, users, keys, db_events):
    api = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {keys[viewer]}"} if viewer is not None else {}
    expected_events = {
        str(e.uuid) for (e, _), ev in zip(db_events, events, strict=True)
        if model_sees_event(ev, viewer, orgs, groups)
    }  # fmt: skip
    expected_inds = {
        str(i.uuid)
        for (e, inds), ev in zip(db_events, events, strict=True)
        for i, spec in zip(inds, ev.indicators, strict=True)
        if model_sees_indicator(ev, spec, viewer, orgs, groups)
    }
    active = viewer is None or orgs[viewer].active
    if not active:
        # A suspended organisation's key stops working: nothing at all comes back.
        assert api.get("/api/v1/events", **headers).status_code == 401
        return

    # REST list and its count.
    listing = api.get("/api/v1/events", {"limit": 500}, **headers).json()
    assert {e["uuid"] for e in listing["results"]} == expected_events
    assert listing["count"] == len(expected_events)
    # Indicators inside each listed event, and their counts.
    listed_inds = {i["uuid"] for e in listing["results"] for i in e["indicators"]}
    assert listed_inds == expected_inds
    for e in listing["results"]:
        assert e["indicator_count"] == len(e["indicators"])

    # REST detail: visible → 200 with the same indicators; invisible → the 404 of nothing.
    missing = api.get(f"/api/v1/events/{uuid.uuid4()}", **headers)
    for e, _ in db_events:
        r = api.get(f"/api/v1/events/{e.uuid}", **headers)
        if str(e.uuid) in expected_events:
            assert r.status_code == 200
            assert {i["uuid"] for i in r.json()["indicators"]} <= expected_inds
        else:
            assert (r.status_code, r.json()) == (missing.status_code, missing.json())

    # Search by value and its count.
    for value in VALUES:
        hits = api.get("/api/v1/indicators", {"value": value, "limit": 500}, **headers).json()
        want = {
            str(i.uuid) for e, inds in db_events for i in inds
            if i.value == value and str(i.uuid) in expected_inds
        }  # fmt: skip
        assert {h["uuid"] for h in hits["results"]} == want
        assert hits["count"] == len(want)

    # Filtered counts never leak either.
    for tlp in TLPS:
        got = api.get("/api/v1/events", {"tlp": tlp, "limit": 1}, **headers).json()["count"]
        want = sum(
            1 for (e, _), ev in zip(db_events, events, strict=True)
            if ev.labels.tlp == tlp and str(e.uuid) in expected_events
        )  # fmt: skip
        assert got == want

    # Web pages, for members: the list (titles and its count), details, and search.
    if viewer is not None:
        web = Client()
        web.force_login(users[viewer])
        page = web.get("/events/", {"q": "marker"}).content.decode()
        shown = set(re.findall(r"event-\d+-marker", page))
        want_titles = {e.title for e, _ in db_events if str(e.uuid) in expected_events}
        assert shown == want_titles
        n = len(expected_events)
        assert f"{n} event{'' if n == 1 else 's'}" in page
        for e, _ in db_events:
            code = web.get(f"/events/{e.uuid}/").status_code
            assert code == (200 if str(e.uuid) in expected_events else 404)
        for value in VALUES[:2]:
            search = web.get("/indicators/", {"value": value}).content.decode()
            hits = [
                (e, i) for e, inds in db_events for i in inds
                if i.value == value and str(i.uuid) in expected_inds
            ]  # fmt: skip
            assert f"{len(hits)} indicator{'' if len(hits) == 1 else 's'} found" in search
            linked = set(re.findall(r"event-\d+-marker", search))
            assert linked == {e.title for e, _ in hits}
