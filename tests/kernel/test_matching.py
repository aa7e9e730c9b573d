"""kernel.matching: the index finds what a naive search finds, and its "looks canonical"
shortcut never skips a normalisation that would change the value."""

from __future__ import annotations

import ipaddress
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from certfed.kernel.indicators import InvalidIndicator, normalise_any
from certfed.kernel.matching import IndexRow, MatchIndex, needs_normalising

LABEL = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?", fullmatch=True)
DOMAIN = st.builds(lambda ls, tld: ".".join([*ls, tld]), st.lists(LABEL, min_size=1, max_size=3),
                   st.sampled_from(["com", "example", "NET", "org", "xn--p1ai"]))  # fmt: skip
IPV4 = st.builds(lambda n: str(ipaddress.IPv4Address(n)), st.integers(0, 2**32 - 1))
IPV6 = st.builds(lambda n: str(ipaddress.IPv6Address(n)), st.integers(0, 2**128 - 1))


def messy(base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Values as people paste them: any case, defanged, padded, trailing dots, ports."""

    def mangle(value, upper, defang, dot, pad):
        if upper:
            value = value.upper()
        if defang:
            value = value.replace(".", "[.]", 1).replace("http", "hxxp", 1)
        if dot:
            value += "."
        return f" {value} " if pad else value

    return st.builds(mangle, base, st.booleans(), st.booleans(), st.booleans(), st.booleans())


URL = st.builds(
    lambda scheme, host, dot, port, path: f"{scheme}://{host}{'.' if dot else ''}{port}/{path}",
    st.sampled_from(["http", "https", "HTTP", "ftp"]),
    st.one_of(DOMAIN, IPV4, IPV6.map(lambda a: f"[{a}]"),
              IPV6.map(lambda a: f"[{ipaddress.IPv6Address(a).exploded}]")),
    st.booleans(),
    st.sampled_from(["", ":8080", ":08"]),
    st.from_regex(r"[A-Za-z0-9._~-]{0,10}", fullmatch=True),
)  # fmt: skip
ANY = st.one_of(
    messy(DOMAIN), messy(IPV4), IPV6, IPV6.map(lambda a: ipaddress.IPv6Address(a).exploded),
    messy(URL), st.builds(lambda d: f"User@{d}", DOMAIN), st.builds(lambda d: f"u@{d}", DOMAIN),
    st.builds(lambda a, p: f"{a}/{p}", IPV4, st.integers(0, 32)),
    st.from_regex(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{64}|(?i:cve)-20[0-9]{2}-[0-9]{4,6}",
                  fullmatch=True),
    st.text(max_size=30),
)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(ANY)
def test_values_that_look_canonical_are_canonical(value):
    try:
        _, canonical = normalise_any(value)
    except InvalidIndicator:
        return
    if not needs_normalising(value):
        assert canonical == value


def row(i: int, value: str, type_name: str, event: int = 1, **own) -> IndexRow:
    return IndexRow(i, uuid.UUID(int=i), event, type_name, value, **own)


@settings(max_examples=300, deadline=None)
@given(stored=st.lists(ANY, max_size=30), probes=st.lists(ANY, max_size=30))
def test_lookup_agrees_with_normalise_then_compare(stored, probes):
    index = MatchIndex()
    canonical: dict[str, set[int]] = {}
    for i, value in enumerate(stored, 1):
        try:
            type_name, value = normalise_any(value)
        except InvalidIndicator:
            continue
        if type_name == "cidr":
            continue  # containment is tested below
        index.add(row(i, value, type_name))
        canonical.setdefault(value, set()).add(i)
    for probe in probes + stored:
        try:
            expected = canonical.get(normalise_any(probe)[1], set())
        except InvalidIndicator:
            expected = set()
        found = index.lookup(probe)
        got = {index.ids[s] for s in found.exact} if found else set()
        assert got == expected, probe


def test_containment_type_hints_and_replacement():
    index = MatchIndex()
    index.extend([
        row(1, "198.51.100.0/24", "cidr", event=1),
        row(2, "198.51.100.0/25", "cidr", event=2),
        row(3, "198.51.100.7", "ipv4", event=3),
        row(4, "2001:db8::/32", "cidr", event=4),
        row(5, "narrow.example", "domain", event=5, distribution="organisation", tlp="RED"),
    ])  # fmt: skip
    found = index.lookup("198.51.100.7")
    assert [index.ids[s] for s in found.exact] == [3]
    assert [index.ids[s] for s in found.containing] == [2, 1]  # narrowest first
    assert index.network_value(found.containing[0]) == "198.51.100.0/25"
    assert [index.ids[s] for s in index.lookup("198.51.100[.]200").containing] == [1]
    assert index.lookup("2001:DB8:0:0::9").type == "ipv6"
    assert [index.ids[s] for s in index.lookup("198.51.100.0/26", "cidr").containing] == [2, 1]
    assert index.lookup("198.51.101.1") is None
    assert index.lookup("198.51.100.7", "domain") is None  # read as a domain: invalid
    slot = index.lookup("narrow.example").exact[0]
    assert index.narrowing[slot].distribution == "organisation"
    assert index.uuid(slot) == str(uuid.UUID(int=5))
    index.replace(["198.51.100.0/25", "narrow.example"], [row(6, "narrow.example", "domain")])
    assert [index.ids[s] for s in index.lookup("198.51.100.7").containing] == [1]
    slot = index.lookup("narrow.example").exact[0]
    assert index.ids[slot] == 6 and slot not in index.narrowing
    assert len(index) == 4 and index.garbage == 2 / 6


def test_raw_rows_load_like_rows():
    a, b = MatchIndex(), MatchIndex()
    u = uuid.uuid4()
    a.extend([IndexRow(1, u, 9, "domain", "x.example", "RED", "organisation", None)])
    b.load([(1, u.hex, 9, "domain", "x.example", "RED", "organisation", None)])
    for index in (a, b):
        (slot,) = index.lookup("x.example").exact
        assert index.uuid(slot) == str(u) and index.events[slot] == 9
        assert index.narrowing[slot].tlp == "RED"
