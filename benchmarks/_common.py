"""Shared set-up for the benchmark scripts: a throw-away data folder and database, and
generators of realistic indicator values. Never imported by the test suite."""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager


def fresh_environment(label: str) -> str:
    """Point certfed at a new SQLite file (or the given CERTFED_DATABASE_URL) and set up
    Django. Returns the data folder."""
    folder = tempfile.mkdtemp(prefix=f"certfed-bench-{label}-")
    os.environ["CERTFED_DATA_DIR"] = folder
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certfed.platform.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return folder


def federation():
    """Two full members and an analyst each; returns (org_a, org_b)."""
    from certfed.audit.log import CLI
    from certfed.members.actions import do_create_organisation

    a = do_create_organisation(CLI, name="Alpha", short_name="ALPHA", country="MY",
                               category="full")  # fmt: skip
    b = do_create_organisation(CLI, name="Bravo", short_name="BRAVO", country="ID",
                               category="full")  # fmt: skip
    return a, b


def values(n: int, seed: int = 1) -> list[tuple[str, str]]:
    """n distinct (type, canonical value) pairs in a realistic mix."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(out) < n:
        kind = rng.random()
        if kind < 0.4:
            v = ("ipv4", f"{rng.randint(11, 223)}.{rng.randrange(256)}.{rng.randrange(256)}."
                         f"{rng.randint(1, 254)}")  # fmt: skip
        elif kind < 0.7:
            v = ("domain", f"{rng.getrandbits(40):x}-{rng.choice('abcdefgh')}.example-"
                           f"{rng.randrange(1000)}.com")  # fmt: skip
        elif kind < 0.85:
            v = ("url", f"http://{rng.getrandbits(32):x}.example.net/{rng.getrandbits(24):x}")
        else:
            v = ("sha256", f"{rng.getrandbits(256):064x}")
        if v[1] not in seen:
            seen.add(v[1])
            out.append(v)
    return out


@contextmanager
def timed(results: list[float]):
    t0 = time.perf_counter()
    yield
    results.append(time.perf_counter() - t0)


def median_of(runs: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(runs))


def line(name: str, value: float, unit: str, ratio: float | None = None, note: str = "") -> None:
    r = f"  ratio {ratio:.2f}" if ratio is not None else ""
    print(f"{name:<58} {value:>14,.0f} {unit:<10}{r}  {note}".rstrip(), flush=True)
