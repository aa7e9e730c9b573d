"""The bulk-ingest fast path of normalise() must never change a result: every string its
canonical-form patterns accept is one the full normaliser returns unchanged."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certfed.kernel.indicators import base


@pytest.mark.parametrize("type_name", sorted(base._CANONICAL))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_fast_path_agrees_with_the_full_normaliser(type_name, data):
    value = data.draw(st.from_regex(base._CANONICAL[type_name], fullmatch=True))
    assert base.normalise_slow(type_name, value) == value
    assert base.normalise(type_name, value) == value


@pytest.mark.parametrize(
    ("type_name", "value"),
    [
        ("ipv4", "01.2.3.4"),
        ("ipv4", "256.1.1.1"),
        ("domain", "Example.COM"),
        ("domain", "xn--zz.com"),
        ("md5", "ABCDEF0123456789ABCDEF0123456789"),
        ("cve", "cve-2024-0001"),
    ],
)
def test_non_canonical_values_still_take_the_full_path(type_name, value):
    fast = base._CANONICAL[type_name]
    assert not fast.fullmatch(value)
