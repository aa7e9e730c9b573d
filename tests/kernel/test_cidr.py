"""kernel.cidrtrie: the interval index answers containment exactly like brute force."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certfed.kernel.cidrtrie import IntervalIndex, hex_bounds, network_bounds
from certfed.kernel.netrange import net_range

V4 = 0xFFFF << 32


def v4_network(draw_prefix: int, address: int) -> tuple[int, int]:
    host = (1 << (32 - draw_prefix)) - 1
    return (address & ~host) | V4, (address | host) | V4


networks_v4 = st.builds(
    v4_network, st.integers(0, 32), st.integers(0, 2**32 - 1)
)  # CIDR blocks: nested or disjoint
networks_v6 = st.builds(
    lambda p, a: (a & ~((1 << (128 - p)) - 1), a | ((1 << (128 - p)) - 1)),
    st.integers(0, 128),
    st.integers(0, 2**128 - 1),
)


@settings(max_examples=200, deadline=None)
@given(
    nets=st.lists(st.one_of(networks_v4, networks_v6), max_size=40),
    probes=st.lists(st.one_of(networks_v4, networks_v6), min_size=1, max_size=20),
)
def test_stab_and_covering_agree_with_brute_force(nets, probes):
    index = IntervalIndex((lo, hi, i) for i, (lo, hi) in enumerate(nets))
    assert len(index) == len(nets)
    for lo, hi in probes:
        expected = {i for i, (a, b) in enumerate(nets) if a <= lo and hi <= b}
        got = index.covering(lo, hi)
        assert set(got) == expected and len(got) == len(expected)
        assert index.contains_any(lo, hi) == bool(expected)
        at_lo = {i for i, (a, b) in enumerate(nets) if a <= lo <= b}
        assert set(index.stab(lo)) == at_lo
        # Narrowest first.
        widths = [nets[i][1] - nets[i][0] for i in index.stab(lo)]
        assert widths == sorted(widths)


@settings(max_examples=100, deadline=None)
@given(
    spans=st.lists(
        st.tuples(st.integers(0, 1000), st.integers(0, 50)).map(lambda t: (t[0], t[0] + t[1])),
        max_size=30,
    ),
    point=st.integers(-5, 1100),
)
def test_arbitrary_overlapping_intervals_work_too(spans, point):
    index = IntervalIndex((lo, hi, i) for i, (lo, hi) in enumerate(spans))
    assert set(index.stab(point)) == {i for i, (a, b) in enumerate(spans) if a <= point <= b}


def test_empty_and_bad_input():
    empty = IntervalIndex([])
    assert not empty and empty.stab(5) == [] and empty.covering(1, 2) == []
    with pytest.raises(ValueError):
        IntervalIndex([(5, 4, "backwards")])


@pytest.mark.parametrize(
    "text", ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1", "198.51.100.128/25"]
)
def test_bounds_match_netrange(text):
    lo, hi = network_bounds(text)
    kind = "cidr" if "/" in text else ("ipv6" if ":" in text else "ipv4")
    canonical = str(ipaddress.ip_network(text, strict=False)) if kind == "cidr" else text
    assert (lo, hi) == hex_bounds(*net_range(kind, canonical))
