"""A lint: content is read only through the gate. Any module that touches the managers of
shared content directly must be one of the few allowed to (the gate itself, the writers, and
the demo loader's counts). A new surface that bypasses sharing.access fails here."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "certfed"
DIRECT = re.compile(
    r"\b(Event|Indicator|SharingGroup|Tag|Sighting|StixObject)\.objects\b"
    r"|\.objects\.raw\(|\.extra\(|_meta\.db_table|\bconnection\.cursor\("
)
ALLOWED = {
    "sharing/access.py",  # the gate
    "sharing/actions.py",  # writes
    "intel/actions.py",  # writes
    "intel/ingest.py",  # bulk writes
    "intel/sightings.py",  # writes; its reads are built from sharing.access primitives
    "intel/correlation.py",  # value statistics; every read is filtered per viewer
    "intel/match.py",  # the matching index; every answer is filtered per viewer
    "exchange/stix/keep.py",  # writes of kept STIX objects
    "exchange/stix/queries.py",  # the gate for kept STIX objects, from sharing.access rules
    "platform/demo.py",  # summary counts of the demo it loaded
}


def test_no_surface_reads_shared_content_around_the_gate():
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if "/migrations/" in rel or rel in ALLOWED:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if DIRECT.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "read through certfed.sharing.access instead:\n" + "\n".join(offenders)
