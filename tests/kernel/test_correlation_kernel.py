"""kernel.correlation: links from rows, checked against brute force."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from certfed.kernel.cidrtrie import IntervalIndex, network_bounds
from certfed.kernel.correlation import (
    CIDR,
    EXACT,
    Shared,
    SourceRow,
    containing_networks,
    containment_links,
    exact_links,
    finish,
    merge,
)
from certfed.kernel.netrange import net_range


def src(event: int, value: str) -> SourceRow:
    kind = "cidr" if "/" in value else ("ipv4" if value[0].isdigit() else "domain")
    lo_hi = net_range(kind, value) or (None, None)
    return SourceRow(event, kind, value, *lo_hi)


def test_exact_links_skip_the_same_event():
    sources = [src(1, "a.example"), src(1, "b.example"), src(2, "a.example")]
    others = [(1, "a.example"), (2, "a.example"), (3, "a.example"), (3, "b.example")]
    links = exact_links(sources, others)
    assert dict(links[1]) == {
        2: {Shared("a.example", "a.example", EXACT)},
        3: {Shared("a.example", "a.example"), Shared("b.example", "b.example")},
    }
    assert dict(links[2]) == {1: {Shared("a.example", "a.example")},
                              3: {Shared("a.example", "a.example")}}  # fmt: skip


NET = st.builds(
    lambda n, p: str(ipaddress.ip_network(f"{ipaddress.IPv4Address(n)}/{p}", strict=False)),
    st.integers(0xC6336400, 0xC63364FF),  # inside 198.51.100.0/24, so they often nest
    st.integers(22, 32),
).map(lambda net: net.removesuffix("/32"))


@settings(max_examples=200, deadline=None)
@given(mine=st.lists(NET, min_size=1, max_size=8), theirs=st.lists(NET, max_size=12))
def test_containment_links_are_exactly_the_nesting_pairs(mine, theirs):
    sources = [src(1, v) for v in mine]
    others = [(2, r.value, r.net_lo, r.net_hi) for r in (src(2, v) for v in theirs)]
    links = containment_links(sources, others)
    expected = set()
    for a in mine:
        for b in theirs:
            if a == b:
                continue
            na, nb = ipaddress.ip_network(a), ipaddress.ip_network(b)
            if na.subnet_of(nb) or nb.subnet_of(na):
                expected.add(Shared(a, b, CIDR))
    assert links.get(1, {}).get(2, set()) == expected
    # The store-wide network index finds the same containing networks.
    nets = sorted({v for v in theirs if "/" in v})
    index = IntervalIndex((*network_bounds(v), v) for v in nets)
    around = containing_networks(index, sources)
    for network, values in around.items():
        for value in values:
            assert ipaddress.ip_network(value).subnet_of(ipaddress.ip_network(network))


def test_finish_marks_values_linked_to_too_many_events():
    links = merge(
        {1: {e: {Shared("hot.example", "hot.example")} for e in range(2, 8)}},
        {1: {2: {Shared("rare.example", "rare.example")}}},
    )
    done = finish(links, [1, 9], max_events=5)
    assert done[1].over_correlating == {"hot.example"}
    assert done[1].shared == {2: {Shared("rare.example", "rare.example")}}
    assert done[9].shared == {} and done[9].over_correlating == set()
    # Already known (counted in SQL) counts too.
    done = finish(links, [1], max_events=50, over={1: {"rare.example"}})
    assert done[1].over_correlating == {"rare.example"} and len(done[1].shared) == 6
