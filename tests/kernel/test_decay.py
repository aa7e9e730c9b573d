"""kernel.decay: MISP's polynomial model, and its closed form agreeing with it."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from certfed.kernel.decay import DAY, DecayModel, refreshed_at, score_at

models = st.builds(
    DecayModel,
    lifetime_days=st.floats(0.5, 3000),
    decay_speed=st.floats(0.1, 10),
    base_score=st.floats(0, 100),
    threshold=st.floats(0, 100),
)


def test_misp_nids_defaults():
    model = DecayModel()
    assert (model.lifetime_days, model.decay_speed, model.threshold, model.base_score) == (
        120,
        2,
        30,
        80,
    )
    assert model.score(0) == 80
    # Half-way through its lifetime: 80 * (1 - sqrt(0.5)).
    assert model.score(60 * DAY) == pytest.approx(80 * (1 - math.sqrt(0.5)))
    assert model.score(120 * DAY) == 0 and model.score(500 * DAY) == 0
    # Decays at 120 * (1 - 30/80)^2 = 46.875 days.
    assert model.decays_after() == pytest.approx(46.875 * DAY)
    assert not model.is_decayed(46.8 * DAY) and model.is_decayed(46.9 * DAY)


@settings(max_examples=300, deadline=None)
@given(model=models, a=st.floats(0, 4000 * DAY), b=st.floats(0, 4000 * DAY))
def test_score_never_rises_with_age_and_stays_in_range(model, a, b):
    lo, hi = sorted((a, b))
    assert 0 <= model.score(hi) <= model.score(lo) <= model.base_score


@settings(max_examples=300, deadline=None)
@given(model=models, t=st.floats(0, 4000 * DAY))
def test_closed_form_agrees_with_the_score(model, t):
    after = model.decays_after()
    if model.never_decays:
        assert math.isinf(after) and not model.is_decayed(t)
        return
    # Away from the boundary itself (floating point, in time and in score), they agree.
    assume(abs(t - after) > 1e-6 * max(after, 1.0) + 1e-3)
    assume(abs(model.score(t) - model.threshold) > 1e-9)
    assert model.is_decayed(t) == (model.always_decayed or t > after)


def test_bad_parameters_are_refused():
    for bad in ({"lifetime_days": 0}, {"decay_speed": -1}, {"base_score": 101},
                {"threshold": -1}):  # fmt: skip
        with pytest.raises(ValueError):
            DecayModel(**bad)


def test_refresh_and_score_at():
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    t1, t2 = t0 + dt.timedelta(days=1), t0 + dt.timedelta(days=2)
    assert refreshed_at(t2, t1, t0) == t2
    assert refreshed_at(None, t1, t0) == t1
    assert refreshed_at(None, None, t0) == t0
    model = DecayModel()
    assert score_at(model, None, t0) == 80
    assert score_at(model, t2, t0) == 80  # refreshed "in the future": just now
    assert model.live_since(t2) == t2 - dt.timedelta(seconds=model.decays_after())
    assert DecayModel(threshold=0).live_since(t2) is None
