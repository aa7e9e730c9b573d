"""Which stored networks contain an address (or a smaller network)? Answered with one binary
search over elementary intervals, so warninglists, matching and correlation all check CIDR
containment in O(log n) however many networks are stored.

Addresses live in one 128-bit space with IPv4 mapped into ::ffff:0:0/96 (the same mapping as
kernel.netrange), so an IPv4 network and an IPv6 network are simply two integer ranges.

Pure Python: no Django.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable
from typing import Generic, TypeVar

from certfed.kernel.netrange import _V4_MAPPED

T = TypeVar("T")

_EMPTY: tuple = ()


def network_bounds(text: str) -> tuple[int, int]:
    """(lo, hi) of an address or a network written in any form ipaddress accepts, in the
    shared 128-bit space. Raises ValueError for anything else."""
    net = ipaddress.ip_network(text.strip(), strict=False)
    lo, hi = int(net.network_address), int(net.broadcast_address)
    if net.version == 4:
        return lo | _V4_MAPPED, hi | _V4_MAPPED
    return lo, hi


def hex_bounds(net_lo: str, net_hi: str) -> tuple[int, int]:
    """The integers of kernel.netrange's 32-digit hex bounds (Indicator.net_lo/net_hi)."""
    return int(net_lo, 16), int(net_hi, 16)


class IntervalIndex(Generic[T]):
    """Immutable set of (lo, hi, payload) integer intervals answering "which intervals
    contain this point / this whole range".

    Built once by a sweep over the interval boundaries: between two consecutive boundaries
    the set of covering intervals is constant, so each elementary segment stores its cover
    (narrowest first) and a query is one bisect. CIDR blocks never partially overlap, so a
    segment's cover is a chain of at most 129 nested blocks; arbitrary intervals work too.
    """

    __slots__ = ("_covers", "_his", "_payloads", "_starts")

    def __init__(self, items: Iterable[tuple[int, int, T]]) -> None:
        los: list[int] = []
        his: list[int] = []
        payloads: list[T] = []
        for lo, hi, payload in items:
            if hi < lo:
                raise ValueError(f"interval ({lo}, {hi}) ends before it starts")
            los.append(lo)
            his.append(hi)
            payloads.append(payload)
        self._his = his
        self._payloads = payloads
        opens: dict[int, list[int]] = {}
        closes: dict[int, list[int]] = {}
        for i, (lo, hi) in enumerate(zip(los, his, strict=True)):
            opens.setdefault(lo, []).append(i)
            closes.setdefault(hi + 1, []).append(i)
        starts: list[int] = []
        covers: list[tuple[int, ...]] = []
        active: dict[int, int] = {}  # item -> width, to order covers narrowest first
        interned: dict[tuple[int, ...], tuple[int, ...]] = {}
        for point in sorted(opens.keys() | closes.keys()):
            for i in closes.get(point, _EMPTY):
                del active[i]
            for i in opens.get(point, _EMPTY):
                active[i] = his[i] - los[i]
            cover = tuple(sorted(active, key=active.__getitem__)) if active else _EMPTY
            # Identical neighbouring covers (e.g. after a nested block closes) merge.
            if covers and covers[-1] == cover:
                continue
            starts.append(point)
            covers.append(interned.setdefault(cover, cover))
        self._starts = starts
        self._covers = covers

    def __len__(self) -> int:
        return len(self._payloads)

    def __bool__(self) -> bool:
        return bool(self._payloads)

    def stab(self, point: int) -> list[T]:
        """Payloads of the intervals containing `point`, narrowest first."""
        i = bisect_right(self._starts, point) - 1
        if i < 0:
            return []
        payloads = self._payloads
        return [payloads[j] for j in self._covers[i]]

    def covering(self, lo: int, hi: int) -> list[T]:
        """Payloads of the intervals containing all of [lo, hi], narrowest first. Any such
        interval contains lo, so it is among stab(lo)."""
        i = bisect_right(self._starts, lo) - 1
        if i < 0:
            return []
        his, payloads = self._his, self._payloads
        return [payloads[j] for j in self._covers[i] if his[j] >= hi]

    def contains_any(self, lo: int, hi: int | None = None) -> bool:
        """Whether some interval contains all of [lo, hi] (hi defaults to lo)."""
        i = bisect_right(self._starts, lo) - 1
        if i < 0:
            return False
        if hi is None or hi == lo:
            return bool(self._covers[i])
        his = self._his
        return any(his[j] >= hi for j in self._covers[i])
