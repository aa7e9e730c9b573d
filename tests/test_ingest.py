import datetime as dt
import uuid

import pytest

from certfed.intel.ingest import IncomingEvent, IncomingIndicator, IngestError, do_ingest
from certfed.intel.models import Event, Indicator


@pytest.mark.django_db
def test_smoke(fed):
    u = uuid.uuid4()
    t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ev = IncomingEvent(
        title="x",
        uuid=u,
        tlp="GREEN",
        distribution="federation",
        source_modified=t,
        tags=["t1566"],
        indicators=[
            IncomingIndicator(value=f"198.51.100.{i}", position=f"i{i}") for i in range(1, 50)
        ]
        + [IncomingIndicator(value="10.0.0.0/8")],
    )
    r = do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev])
    assert r.events_created == 1 and r.indicators_written == 50
    r2 = do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev])
    assert r2.events_unchanged == 1 and not r2.changed
    assert Indicator.objects.count() == 50
    i = Indicator.objects.get(value="10.0.0.0/8")
    assert i.net_lo and i.created and i.uuid
    assert fed.api("bravo", "read").get("/indicators", value="198.51.100.7").json()["count"] == 1
    ev.source_modified = t + dt.timedelta(days=1)
    ev.indicators = ev.indicators[:3]
    r3 = do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev])
    assert r3.events_updated == 1 and Indicator.objects.count() == 3
    bad = IncomingEvent(
        title="y", indicators=[IncomingIndicator(value="1.2.3.999", position="objects[4]")]
    )
    with pytest.raises(IngestError) as e:
        do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [bad])
    assert "objects[4]" in str(e.value)
    r4 = do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [bad], skip_invalid=True)
    assert r4.events_created == 1 and len(r4.skipped) == 1
    # event from another org can't be overwritten
    with pytest.raises(IngestError):
        do_ingest(
            fed.ctx("bravo"),
            fed.viewer("bravo"),
            [IncomingEvent(title="z", uuid=u, source_modified=t + dt.timedelta(days=5))],
        )
    assert Event.objects.get(uuid=u).tags.get().name == "T1566"
