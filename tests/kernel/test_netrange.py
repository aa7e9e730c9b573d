from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from certfed.kernel.netrange import address_int, net_range


@given(st.ip_addresses(v=4))
def test_ipv4_fast_path_matches_ipaddress(ip):
    lo, hi = net_range("ipv4", str(ip))
    assert lo == hi == f"{int(ipaddress.IPv6Address(f'::ffff:{ip}')):032x}"


@given(st.ip_addresses(), st.integers(0, 128))
def test_an_address_is_inside_every_network_that_contains_it(ip, prefix):
    prefix = min(prefix, ip.max_prefixlen)
    net = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    lo, hi = net_range("cidr", str(net))
    (point, _) = net_range(f"ipv{ip.version}", str(ip))
    assert lo <= point <= hi
    assert int(point, 16) == address_int(str(ip))


def test_other_types_have_no_range():
    assert net_range("domain", "example.com") is None
