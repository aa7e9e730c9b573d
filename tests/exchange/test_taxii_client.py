"""The TAXII 2.1 client: pull a collection from a real running certfed (through the OASIS
taxii2-client) into another organisation of the same database, then incrementally."""

from __future__ import annotations

import pytest

from certfed.exchange.models import TaxiiPullState
from certfed.exchange.taxii21.client import PullError, pull_taxii
from certfed.intel.ingest import Defaults
from certfed.intel.models import Event
from certfed.kernel import stix21
from certfed.platform.errors import Invalid
from certfed.sharing.access import access_events, viewer_for
from certfed.sharing.collections import COMMUNITY_ID, PUBLIC_ID

pytestmark = pytest.mark.django_db(transaction=True)
MINE = Defaults(tlp="AMBER", distribution="organisation")


def pull(fed, url: str, collection: str = COMMUNITY_ID, who: str | None = "bravo",
         org: str = "BRAVO") -> dict:  # fmt: skip
    return pull_taxii(
        url, collection, user=fed.users[who].email if who else None,
        password=fed.keys[(who, "read")] if who else None, org=fed.orgs[org], defaults=MINE,
    )  # fmt: skip


def test_a_refused_pull_says_why_and_imports_nothing(fed, live_server):
    # First in this module: the refused request's server thread must finish before the
    # session-wide live server stops, or it warns about the shared in-memory database.
    url = f"{live_server.url}/taxii2/"
    with pytest.raises(PullError) as exc:
        pull_taxii(url, COMMUNITY_ID, user=fed.users["bravo"].email, password="cfk_wrong",
                   org=fed.orgs["BRAVO"], defaults=MINE)  # fmt: skip
    assert "401" in str(exc.value)
    with pytest.raises(PullError):  # a collection BRAVO cannot read answers like none at all
        pull(fed, url, collection=str(fed.orgs["ALPHA"].uuid))
    with pytest.raises(Invalid):
        pull(fed, "file:///etc/passwd")
    assert not Event.objects.filter(owner=fed.orgs["BRAVO"]).exists()


def test_pull_imports_a_collection_then_only_what_is_new(fed, live_server):
    one = fed.event("alpha", title="One", tlp="GREEN", distribution="community", tags=["T1566"],
                    indicators=["198.51.100.1", "evil.example"])  # fmt: skip
    fed.event("alpha", title="Org only", tlp="AMBER", distribution="organisation",
              indicators=["198.51.100.99"])  # fmt: skip
    url = f"{live_server.url}/taxii2/"

    first = pull(fed, url)
    assert first["objects"] == 1 + 2 + 1 + 5  # report, indicators, identity, TLP markings
    assert (first["events_created"], first["indicators_written"]) == (1, 2)
    copy = Event.objects.get(owner=fed.orgs["BRAVO"])
    assert copy.uuid != one.uuid and copy.title == "One" and copy.originator_name == "ALPHA team"
    assert copy.tlp == "GREEN" and copy.distribution == "organisation"
    assert list(copy.tags.values_list("name", flat=True)) == ["T1566"]
    assert sorted(copy.indicators.values_list("value", flat=True)) == [
        "198.51.100.1", "evil.example"]  # fmt: skip
    state = TaxiiPullState.objects.get(organisation=fed.orgs["BRAVO"], url=url)
    assert state.added_after and first["next_added_after"] == state.added_after
    stix21.parse_timestamp(state.added_after)

    quiet = pull(fed, url)
    assert quiet["objects"] == 0 and quiet["added_after"] == state.added_after
    assert Event.objects.filter(owner=fed.orgs["BRAVO"]).count() == 1

    fed.event("alpha", title="Two", tlp="GREEN", distribution="community",
              indicators=["198.51.100.2"])  # fmt: skip
    second = pull(fed, url)
    assert second["objects"] == 1 + 1 + 1  # the new report and indicator; the identity again
    assert second["events_created"] == 1 and second["events_unchanged"] == 0
    titles = Event.objects.filter(owner=fed.orgs["BRAVO"]).values_list("title", flat=True)
    assert sorted(titles) == ["One", "Two"]
    # The copies are BRAVO's own (organisation only): nobody else sees them.
    gamma = access_events(viewer_for(fed.users["gamma"]))
    assert not gamma.filter(owner=fed.orgs["BRAVO"]).exists()
    assert TaxiiPullState.objects.get(pk=state.pk).objects_pulled == 12


def test_pull_takes_an_api_root_or_collection_url_and_the_public_needs_no_account(fed, live_server):
    fed.event("alpha", title="Open", tlp="CLEAR", distribution="public", indicators=["192.0.2.1"])
    root = f"{live_server.url}/taxii2/api/"
    summary = pull(fed, root, collection=PUBLIC_ID, who=None, org="GAMMA")
    assert summary["events_created"] == 1
    again = pull(fed, f"{root}collections/{PUBLIC_ID}/", collection=PUBLIC_ID, who=None,
                 org="GAMMA")  # fmt: skip
    assert again["events_unchanged"] == 1  # another URL, another cursor: same content again
    assert Event.objects.filter(owner=fed.orgs["GAMMA"]).count() == 1
