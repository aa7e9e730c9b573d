"""Exchange benchmarks: bulk ingest, correlation, batch match and TAXII paging.

Each figure is printed with its ratio to a goal or to a floor measured in the same run, so
noisy machines still give comparable numbers. Run by hand, never from the test suite:

    .venv/bin/python benchmarks/exchange.py all          # every benchmark (several minutes)
    .venv/bin/python benchmarks/exchange.py ingest       # or one of: ingest correlate match taxii
    .venv/bin/python benchmarks/exchange.py all --quick  # a tenth of the sizes, for a smoke run

Uses a throw-away SQLite database (or CERTFED_DATABASE_URL if set).
"""

from __future__ import annotations

import argparse
import gc
import http.client
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fresh_environment, line, values  # noqa: E402

RUNS = 3
INGEST_RUNS = 5  # the ingest and its floor vary most from run to run


# -- data --------------------------------------------------------------------------------------


def stix_bundle(pairs: list[tuple[str, str]], per_report: int = 1000) -> bytes:
    """A STIX 2.1 bundle: reports of `per_report` indicators each, TLP:GREEN."""
    import orjson

    from certfed.kernel import stix21

    green = stix21.TLP_MARKING_IDS["GREEN"]
    now = "2026-11-01T00:00:00.000Z"
    objects: list[dict] = [stix21.tlp_marking_definition("GREEN")]
    for start in range(0, len(pairs), per_report):
        refs = []
        for type_name, value in pairs[start : start + per_report]:
            ident = f"indicator--{uuid.uuid4()}"
            refs.append(ident)
            objects.append({
                "type": "indicator", "spec_version": "2.1", "id": ident, "created": now,
                "modified": now, "pattern": stix21.pattern_for(type_name, value),
                "pattern_type": "stix", "valid_from": now, "object_marking_refs": [green],
            })  # fmt: skip
        objects.append({
            "type": "report", "spec_version": "2.1", "id": f"report--{uuid.uuid4()}",
            "created": now, "modified": now, "name": f"Benchmark report {start // per_report}",
            "published": now, "object_refs": refs, "object_marking_refs": [green],
        })  # fmt: skip
    return orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects})


def _wipe() -> None:
    from certfed.intel.models import Event

    Event.objects.all().delete()


# -- ingest ------------------------------------------------------------------------------------


def floor_ingest(data: bytes, db_path: str) -> float:
    """Parse the same JSON and executemany the same rows into a copy of the indicator
    table (same columns and indexes), nothing else: the fastest this could possibly be."""
    import orjson
    from django.db import connection

    from certfed.intel.models import Indicator

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL",
            [Indicator._meta.db_table],
        )
        ddl = [r[0] for r in cursor.fetchall()]
    scratch = sqlite3.connect(db_path)
    scratch.executescript(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-131072;"
    )
    for statement in ddl:
        # Same columns and indexes; without the foreign keys to tables the scratch file lacks.
        scratch.execute(re.sub(r'REFERENCES "\w+" \("\w+"\)( DEFERRABLE INITIALLY DEFERRED)?',
                               "", statement))  # fmt: skip
    # The import pauses the cyclic garbage collector (certfed.platform.bulk); so does the
    # floor, or it would be slower than it need be.
    gc.disable()
    t0 = time.perf_counter()
    objects = orjson.loads(data)["objects"]
    rows = []
    stamp = "2026-11-01 00:00:00"
    for o in objects:
        if o["type"] != "indicator":
            continue
        value = o["pattern"].rsplit("'", 2)[1]
        rows.append((uuid.UUID(o["id"][11:]).hex, 1, "ipv4", value, "", 1, None, None, None,
                     None, None, None, None, None, None, "", None, 0, 0, stamp, stamp))  # fmt: skip
    cols = (
        "uuid, event_id, type, value, comment, to_detect, first_seen, last_seen, valid_until, tlp,"
        " pap, distribution, sharing_group_id, net_lo, net_hi, warninglist, source_modified,"
        " sighting_count, false_positive_count, created, modified"
    )
    with scratch:
        scratch.executemany(
            f"INSERT INTO {Indicator._meta.db_table} ({cols}) VALUES ({', '.join('?' * 21)})", rows
        )
    elapsed = time.perf_counter() - t0
    gc.enable()
    scratch.close()
    return elapsed


def ingest_once(n: int) -> dict:
    """One measured import into a fresh database, in a process whose warninglists are
    already loaded (a long-running worker's steady state; the one-time load is reported
    apart), and the floor on the same bundle."""
    from certfed.audit.log import CLI
    from certfed.exchange.stix.importer import import_stix_bundle
    from certfed.intel.ingest import Defaults
    from certfed.intel.queries import access_indicator_search
    from certfed.sharing.access import viewer_for_org

    org = _org()
    defaults = Defaults(tlp="GREEN", distribution="federation")
    t0 = time.perf_counter()
    import_stix_bundle(CLI, viewer_for_org(org), stix_bundle(values(100, seed=3)), defaults)
    warmup = time.perf_counter() - t0
    pairs = values(n, seed=7)
    data = stix_bundle(pairs)
    t0 = time.perf_counter()
    result = import_stix_bundle(CLI, viewer_for_org(org), data, defaults)
    ours = time.perf_counter() - t0
    assert result.indicators_written == n, result
    assert access_indicator_search(viewer_for_org(org), value=pairs[n // 2][1]).count() == 1
    with tempfile.TemporaryDirectory() as tmp:
        floor = floor_ingest(data, os.path.join(tmp, "floor.db"))
    return {"ours": ours, "floor": floor, "warmup": warmup, "mb": len(data) / 1e6}


def bench_ingest(n: int) -> None:
    import json

    runs = []
    for _ in range(INGEST_RUNS):
        out = subprocess.run(
            [sys.executable, __file__, "_ingest_once", "--n", str(n)],
            capture_output=True, text=True, check=True, env=dict(os.environ),
        )  # fmt: skip
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    ours = statistics.median(r["ours"] for r in runs)
    floor = statistics.median(r["floor"] for r in runs)
    print(f"\n# ingest: STIX bundle of {n:,} indicators ({runs[0]['mb']:.1f} MB), end to end,"
          " each run on a fresh database")  # fmt: skip
    print("  runs (s): " + ", ".join(f"{r['ours']:.2f}" for r in runs)
          + f"; one-time warninglist load in a new process: {runs[0]['warmup']:.1f} s")  # fmt: skip
    ours_rate, floor_rate = n / ours, n / floor
    line("certfed import (stored, indexed, correlated)", ours_rate, "ind/s",
         ours_rate / 50_000, "ratio to the 50,000/s goal")  # fmt: skip
    line("floor: orjson parse + raw executemany", floor_rate, "ind/s")
    line("certfed / floor", ours_rate, "ind/s", ours_rate / floor_rate, "goal >= 0.30")


# -- correlation -------------------------------------------------------------------------------


def build_store(n: int, per_event: int = 10_000) -> list[tuple[str, str]]:
    from certfed.audit.log import CLI
    from certfed.intel.ingest import IncomingEvent, IncomingIndicator, do_ingest
    from certfed.intel.models import Indicator
    from certfed.sharing.access import viewer_for_org

    have = Indicator.objects.count()
    pairs = values(n, seed=11)
    if have >= n:
        return pairs
    _wipe()
    org = _org()
    t0 = time.perf_counter()
    for start in range(0, n, per_event * 10):
        batch = [
            IncomingEvent(
                title=f"store {i}", tlp="GREEN", distribution="federation",
                indicators=[IncomingIndicator(value=v, type=t)
                            for t, v in pairs[i : i + per_event]],
            )
            for i in range(start, min(start + per_event * 10, n), per_event)
        ]  # fmt: skip
        do_ingest(CLI, viewer_for_org(org), batch)
    print(f"  (built a store of {n:,} indicators in {time.perf_counter() - t0:.1f} s)")
    return pairs


def bench_correlate(n_store: int, n_new: int) -> None:
    from certfed.audit.log import CLI
    from certfed.intel.correlation import access_correlations
    from certfed.intel.ingest import IncomingEvent, IncomingIndicator, do_ingest
    from certfed.intel.models import Event
    from certfed.sharing.access import viewer_for_org

    print(f"\n# correlate: a new event of {n_new:,} indicators into a store of {n_store:,}")
    pairs = build_store(n_store)
    org = _org()
    fresh = values(n_new, seed=99)
    overlap = pairs[:: max(1, n_store // (n_new // 10))][: n_new // 10]  # 10% shared values
    new_pairs = overlap + fresh[: n_new - len(overlap)]
    times, query_times = [], []
    for _ in range(RUNS):
        ev = IncomingEvent(title="new", uuid=uuid.uuid4(), tlp="GREEN", distribution="federation",
                           indicators=[IncomingIndicator(value=v, type=t)
                                       for t, v in new_pairs])  # fmt: skip
        t0 = time.perf_counter()
        do_ingest(CLI, viewer_for_org(org), [ev])
        event = Event.objects.get(uuid=ev.uuid)
        t1 = time.perf_counter()
        linked = access_correlations(viewer_for_org(org), event)
        t2 = time.perf_counter()
        times.append(t2 - t0)
        query_times.append(t2 - t1)
        assert linked, "the overlap must correlate"
        event.delete()
    med = statistics.median(times)
    line("ingest + correlate new event (ms)", med * 1000, "ms", 1.0 / med, "goal < 1 s (ratio > 1)")
    line("  of which the correlation read (ms)", statistics.median(query_times) * 1000, "ms")


# -- servers -----------------------------------------------------------------------------------


def _org():
    from certfed.members.models import Organisation

    return Organisation.objects.get(short_name="ALPHA")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`certfed serve` on the benchmark database, one worker so its memory is measurable.
    Besides the peak RSS the kernel records, a sampler keeps the peak of the anonymous part
    (the heap): the rest is SQLite's memory-mapped database file (PRAGMA mmap_size), pages
    the kernel may drop at any time."""

    def __init__(self) -> None:
        self.port = _free_port()
        env = dict(os.environ)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from certfed.platform.cli import main; main()", "serve",
             "--port", str(self.port), "--workers", "1", "--threads", "2"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        self.peak_anon_kb = 0
        self._sampling = True
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _status(self, field: str) -> int:
        out = 0
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for row in status.splitlines():
                if row.startswith(field):
                    out = max(out, int(row.split()[1]))
        return out

    def _sample(self) -> None:
        while self._sampling:
            self.peak_anon_kb = max(self.peak_anon_kb, self._status("RssAnon:"))
            time.sleep(0.02)

    def worker_peak_rss_mb(self) -> float:
        return self._status("VmHWM:") / 1024

    def worker_peak_heap_mb(self) -> float:
        return self.peak_anon_kb / 1024

    def stop(self) -> None:
        self._sampling = False
        self.proc.terminate()
        self.proc.wait(timeout=20)


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split()
        out.extend(int(c) for c in children)
    return out


def _api_key() -> str:
    from certfed.audit.log import CLI
    from certfed.members.actions import do_create_api_key, do_create_user
    from certfed.members.models import User

    user = User.objects.filter(email="bench@alpha.example").first() or do_create_user(
        CLI, email="bench@alpha.example", organisation=_org(), role="analyst"
    )
    return do_create_api_key(CLI, user, scope="write")[1]


# -- batch match -------------------------------------------------------------------------------


def bench_match(n_store: int, n_obs: int) -> None:
    print(f"\n# match: {n_obs:,} observables against {n_store:,} stored, through the API")
    pairs = build_store(n_store)
    hits = [v for _, v in pairs[::2]][: n_obs // 2]
    misses = [v for _, v in values(n_obs - len(hits), seed=1234)]
    body = ("\n".join(hits + misses) + "\n").encode()
    key = _api_key()
    server = Server()
    try:
        rates = []
        for run in range(RUNS + 1):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/match", body=body, headers={
                "Authorization": f"Bearer {key}", "Content-Type": "text/plain"})  # fmt: skip
            response = conn.getresponse()
            matched = sum(1 for _ in response) - 1  # the last line is the summary
            elapsed = time.perf_counter() - t0
            assert response.status == 200 and matched >= len(hits) * 0.99, (response.status,
                                                                            matched)  # fmt: skip
            if run == 0:
                line("first request (builds the matching index) obs/s", n_obs / elapsed,
                     "obs/s")  # fmt: skip
            else:
                rates.append(n_obs / elapsed)
        med = statistics.median(rates)
        line("batch match, median of warm requests", med, "obs/s", med / 500_000,
             "ratio to the 500,000/s goal")  # fmt: skip
        line("server peak RSS", server.worker_peak_rss_mb(), "MB")
        line("  of which heap (peak anonymous RSS)", server.worker_peak_heap_mb(), "MB")
    finally:
        server.stop()


# -- TAXII -------------------------------------------------------------------------------------


def bench_taxii(n: int) -> None:
    from taxii2client.v21 import Collection, as_pages

    from certfed.sharing.collections import FEDERATION_ID

    print(f"\n# taxii: page through at least {n:,} objects of one collection")
    build_store(n)
    key = _api_key()
    server = Server()
    try:
        url = f"http://127.0.0.1:{server.port}/taxii2/api/collections/{FEDERATION_ID}/"
        rates = []
        for _ in range(RUNS):
            collection = Collection(url, user="bench@alpha.example", password=key)
            t0 = time.perf_counter()
            got = sum(len(page.get("objects", []))
                      for page in as_pages(collection.get_objects, per_request=1000))  # fmt: skip
            rates.append(got / (time.perf_counter() - t0))
            assert got >= n, got
        med = statistics.median(rates)
        print(f"  (paged the whole federation collection: {got:,} objects per run)")
        line("TAXII objects/s (median, 1,000 per page)", med, "obj/s")
        line("server peak RSS while paging", server.worker_peak_rss_mb(), "MB")
        line("  of which heap (peak anonymous RSS)", server.worker_peak_heap_mb(), "MB")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "what", choices=["all", "ingest", "correlate", "match", "taxii", "_ingest_once"]
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--n", type=int, default=100_000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.what == "_ingest_once":
        import json

        fresh_environment("ingest")
        from _common import federation

        federation()
        print(json.dumps(ingest_once(args.n)))
        return
    scale = 10 if args.quick else 1
    if args.what in ("all", "ingest"):
        bench_ingest(100_000 // scale)
    fresh_environment("exchange")
    from _common import federation

    federation()
    if args.what in ("all", "correlate"):
        bench_correlate(1_000_000 // scale, 10_000 // scale)
    if args.what in ("all", "match"):
        bench_match(1_000_000 // scale, 1_000_000 // scale)
    if args.what in ("all", "taxii"):
        bench_taxii(100_000 // scale)


if __name__ == "__main__":
    main()
