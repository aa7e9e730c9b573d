"""A lint: content is read only through the gate. Any module that touches the managers of
shared content directly must be one of the few allowed to (the gate itself, the writers, and
the demo loader's counts). A new surface that bypasses sharing.access fails here."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "certfed"
DIRECT = re.compile(r"\b(Event|Indicator|SharingGroup|Tag)\.objects\b|\.objects\.raw\(|\.extra\(")
ALLOWED = {
    "sharing/access.py",  # the gate
    "sharing/actions.py",  # writes
    "intel/actions.py",  # writes
    "intel/ingest.py",  # bulk writes
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
