"""The bulk ingest core: transactional, idempotent, bad objects reported by position."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from certfed.intel.ingest import IncomingEvent, IncomingIndicator, IngestError, do_ingest
from certfed.intel.models import Event, Indicator

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _event(**kw) -> IncomingEvent:
    inds = [IncomingIndicator(value=f"198.51.100.{i}", position=f"i{i}") for i in range(1, 50)]
    inds.append(IncomingIndicator(value="10.0.0.0/8"))
    base = dict(title="x", uuid=uuid.uuid4(), tlp="GREEN", distribution="federation",
                source_modified=T0, tags=["t1566"], indicators=inds)  # fmt: skip
    return IncomingEvent(**(base | kw))


def test_ingest_is_idempotent_and_updates_newer_versions(fed):
    ev = _event()
    r = do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev])
    assert r.events_created == 1 and r.indicators_written == 50
    again = do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev])
    assert again.events_unchanged == 1 and not again.changed
    assert Indicator.objects.count() == 50
    cidr = Indicator.objects.get(value="10.0.0.0/8")
    assert cidr.net_lo and cidr.net_hi and cidr.created and cidr.uuid
    assert fed.api("bravo", "read").get("/indicators", value="198.51.100.7").json()["count"] == 1
    assert Event.objects.get(uuid=ev.uuid).tags.get().name == "T1566"
    ev.source_modified = T0 + dt.timedelta(days=1)
    ev.indicators = ev.indicators[:3]
    newer = do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev])
    assert newer.events_updated == 1 and Indicator.objects.count() == 3


def test_a_bad_object_is_reported_by_position_and_nothing_is_written(fed):
    good = _event()
    bad = IncomingEvent(
        title="y", indicators=[IncomingIndicator(value="1.2.3.999", position="objects[4]")]
    )
    with pytest.raises(IngestError) as exc:
        do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [good, bad])
    assert "objects[4]" in str(exc.value) and "1.2.3.999" in str(exc.value)
    assert Event.objects.count() == 0 and Indicator.objects.count() == 0
    kept = do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [good, bad], skip_invalid=True)
    assert kept.events_created == 2 and [p.position for p in kept.skipped] == ["objects[4]"]
    assert Indicator.objects.count() == 50


def test_another_organisations_event_is_never_overwritten(fed):
    ev = _event()
    do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev])
    theirs = IncomingEvent(title="z", uuid=ev.uuid, source_modified=T0 + dt.timedelta(days=5))
    with pytest.raises(IngestError):
        do_ingest(fed.ctx("bravo"), fed.viewer("bravo"), [theirs])
    assert Event.objects.get(uuid=ev.uuid).title == "x"


def test_label_rules_hold_for_imports(fed):
    loose = _event(tlp="AMBER", distribution="public", position="objects[0]")
    with pytest.raises(IngestError) as exc:
        do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [loose])
    assert "public" in str(exc.value)
    child = _event(indicators=[IncomingIndicator(value="192.0.2.1", tlp="CLEAR", position="p")])
    with pytest.raises(IngestError):
        do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [child])


def test_a_newer_version_keeps_indicator_rows_and_their_sightings(fed):
    from certfed.intel.models import Sighting
    from certfed.intel.sightings import IncomingSighting, do_add_sightings

    ev = _event()
    do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev])
    kept = Indicator.objects.get(value="198.51.100.7")
    do_add_sightings(fed.ctx("bravo"), fed.viewer("bravo"), [
        IncomingSighting(type="sighting", value="198.51.100.7", indicator_uuid=None,
                         source="bravo sensor")])  # fmt: skip
    assert Sighting.objects.count() == 1
    ev.source_modified = T0 + dt.timedelta(days=1)
    ev.indicators = [i for i in ev.indicators if i.value != "198.51.100.8"]
    ev.indicators.append(IncomingIndicator(value="192.0.2.77"))
    result = do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev])
    assert result.events_updated == 1
    again = Indicator.objects.get(value="198.51.100.7")
    assert (again.pk, again.uuid, again.created) == (kept.pk, kept.uuid, kept.created)
    assert Sighting.objects.count() == 1
    assert not Indicator.objects.filter(value="198.51.100.8").exists()
    assert Indicator.objects.filter(value="192.0.2.77").exists()
    assert Indicator.objects.count() == 50


def test_an_indicator_uuid_of_another_event_is_refused_by_position(fed):
    first = _event()
    do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [first])
    taken = Indicator.objects.get(value="198.51.100.1").uuid
    second = _event(indicators=[
        IncomingIndicator(value="203.0.113.1", position="objects[7]"),
        IncomingIndicator(value="203.0.113.2", uuid=taken, position="objects[8]"),
    ])  # fmt: skip
    with pytest.raises(IngestError) as exc:
        do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [second])
    assert str(exc.value) == f"objects[8]: uuid {taken} belongs to another indicator"
    assert Event.objects.count() == 1 and Indicator.objects.count() == 50  # nothing written
    # --skip-invalid: the event goes in without the indicator whose uuid is taken.
    kept = do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [second], skip_invalid=True)
    assert [str(p) for p in kept.skipped] == [str(exc.value)]
    assert kept.events_created == 1 and kept.indicators_written == 1
    assert Indicator.objects.get(uuid=taken).value == "198.51.100.1"
    assert Indicator.objects.filter(event__uuid=second.uuid).get().value == "203.0.113.1"


def test_an_indicator_uuid_given_twice_is_refused(fed):
    same = uuid.uuid4()
    ev = _event(indicators=[
        IncomingIndicator(value="203.0.113.1", uuid=same, position="objects[1]"),
        IncomingIndicator(value="203.0.113.2", uuid=same, position="objects[2]"),
    ])  # fmt: skip
    with pytest.raises(IngestError) as exc:
        do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev])
    assert str(exc.value) == f"objects[2]: uuid {same} is given twice"
    assert Event.objects.count() == 0 and Indicator.objects.count() == 0


def test_an_event_keeps_reusing_its_own_indicator_uuids(fed):
    ev = _event()
    do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev])
    rows = dict(Indicator.objects.values_list("value", "uuid"))
    ev.source_modified = T0 + dt.timedelta(days=1)
    ev.indicators = [IncomingIndicator(value=v, uuid=u) for v, u in rows.items()]
    assert do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev]).events_updated == 1
    assert dict(Indicator.objects.values_list("value", "uuid")) == rows


def _two_events(fed):
    x, y = _event(title="x"), _event(title="y")
    do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [x, y])
    return x, y


@pytest.mark.parametrize("order", ["moved-from first", "moved-to first"])
def test_a_uuid_cannot_move_between_events_of_one_import_whatever_the_order(fed, order):
    x, y = _two_events(fed)
    held = Indicator.objects.get(event__uuid=x.uuid, value="198.51.100.1").uuid
    later = T0 + dt.timedelta(days=1)
    x.source_modified = y.source_modified = later
    x.indicators = x.indicators[1:]  # 198.51.100.1 leaves x…
    y.indicators = [
        *y.indicators[1:],
        IncomingIndicator(value="203.0.113.9", uuid=held, position="y[9]"),
    ]  # …its uuid to y
    batch = [x, y] if order == "moved-from first" else [y, x]
    with pytest.raises(IngestError) as exc:
        do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), batch)
    assert str(exc.value) == f"y[9]: uuid {held} belongs to another indicator"
    assert Indicator.objects.get(uuid=held).event.uuid == x.uuid  # nothing written


def test_a_refusal_lists_every_problem_at_once(fed):
    x, _y = _two_events(fed)
    taken = Indicator.objects.get(event__uuid=x.uuid, value="198.51.100.1").uuid
    theirs = IncomingEvent(title="z", uuid=x.uuid, source_modified=T0, position="Event[0]")
    clash = _event(position="Event[1]", indicators=[
        IncomingIndicator(value="203.0.113.1", uuid=taken, position="Event[1].Attribute[0]"),
    ])  # fmt: skip
    with pytest.raises(IngestError) as exc:
        do_ingest(fed.ctx("bravo"), fed.viewer("bravo"), [theirs, clash])
    assert [p.position for p in exc.value.problems] == ["Event[0]", "Event[1].Attribute[0]"]


def test_an_event_uuid_given_twice_is_a_problem_not_a_crash(fed):
    ev = _event(position="Event[0]")
    twin = _event(uuid=ev.uuid, position="Event[1]")
    with pytest.raises(IngestError) as exc:
        do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev, twin])
    assert str(exc.value) == f"Event[1]: uuid {ev.uuid} is given twice"
    kept = do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [ev, twin], skip_invalid=True)
    assert kept.events_created == 1 and [p.position for p in kept.skipped] == ["Event[1]"]


def test_progress_adds_up_when_a_conflict_is_skipped(fed):
    first = _event()
    do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), [first])
    taken = Indicator.objects.get(value="198.51.100.1").uuid
    events = [_event(), _event(), _event(indicators=[
        IncomingIndicator(value="203.0.113.1"),
        IncomingIndicator(value="203.0.113.2", uuid=taken, position="p"),
    ])]  # fmt: skip

    class Bar:
        total, done = 0, 0

        def set_total(self, n):
            self.total = n

        def __call__(self, n):
            self.done += n

    bar = Bar()
    result = do_ingest(fed.ctx("alpha"), fed.viewer("alpha"), events, skip_invalid=True,
                       progress=bar)  # fmt: skip
    assert result.events_created == 3 and [p.position for p in result.skipped] == ["p"]
    # Counted once, though the first attempt was rolled back (the skipped one is not written).
    assert bar.total == 50 + 50 + 2 and bar.done == bar.total - 1
    assert result.event_uuids == [e.uuid for e in events]
