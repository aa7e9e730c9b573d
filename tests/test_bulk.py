"""platform.bulk: the collector pause around imports and one-parameter IN lists."""

from __future__ import annotations

import gc
import threading
import uuid

import pytest

from certfed.platform.bulk import gc_paused, in_values


def test_the_collector_pauses_for_the_outermost_block_only():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still runs
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("an import failed")
    assert gc.isenabled()  # restarted after an error too


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_blocks_in_two_threads_restart_it_when_both_end():
    inside, release = threading.Event(), threading.Event()

    def other():
        with gc_paused():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=other)
    t.start()
    inside.wait(10)
    with gc_paused():
        pass
    assert not gc.isenabled()  # the other thread's import still runs
    release.set()
    t.join()
    assert gc.isenabled()


@pytest.mark.django_db
def test_in_values_matches_exactly_the_given_values(fed):
    from django.db import connection

    from certfed.intel.ingest import indicators_by_uuid
    from certfed.intel.models import Indicator

    fed.event("alpha", indicators=["198.51.100.1", "198.51.100.2", "evil.example"])
    values = ["198.51.100.1", "evil.example", "x' OR '1'='1", "198.51.100.9"]
    where, params = in_values("value", values)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {Indicator._meta.db_table} WHERE {where}", params)  # noqa: S608
        assert sorted(r[0] for r in cursor.fetchall()) == ["198.51.100.1", "evil.example"]
    known = list(Indicator.objects.values_list("uuid", flat=True)[:2])
    found = indicators_by_uuid([*known, uuid.uuid4()])
    assert sorted(u for u, _ in found) == sorted(known)
    assert indicators_by_uuid([]) == []
