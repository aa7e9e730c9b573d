"""Indicator decay: MISP's polynomial decaying model.

    score(t) = base_score * (1 - (t / lifetime) ** (1 / decay_speed)),  clamped at 0

where t is the time since the indicator was last refreshed (its last sighting, else its
first_seen, else its creation). An indicator whose score is below `threshold` is decayed.
Solving score(t) = threshold gives the age at which it decays,

    t_decay = lifetime * (1 - threshold / base_score) ** decay_speed

so a database can select live indicators with one comparison per type
(refreshed_at >= now - t_decay) instead of computing scores row by row.

The defaults are MISP's "NIDS Simple Decaying Model" (misp-decaying-models,
models/nids-simple-model.json): lifetime 120 days, decay_speed 2, threshold 30,
default_base_score 80.

Pure Python: no Django.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

DAY = 86400.0

MISP_BASE_SCORE = 80.0
MISP_LIFETIME_DAYS = 120.0
MISP_DECAY_SPEED = 2.0
MISP_THRESHOLD = 30.0


@dataclass(frozen=True)
class DecayModel:
    """Parameters of the polynomial model; lifetime in days, scores on MISP's 0-100 scale."""

    lifetime_days: float = MISP_LIFETIME_DAYS
    decay_speed: float = MISP_DECAY_SPEED
    base_score: float = MISP_BASE_SCORE
    threshold: float = MISP_THRESHOLD

    def __post_init__(self) -> None:
        if self.lifetime_days <= 0:
            raise ValueError(f"lifetime must be positive, not {self.lifetime_days}")
        if self.decay_speed <= 0:
            raise ValueError(f"decay speed must be positive, not {self.decay_speed}")
        if not 0 <= self.base_score <= 100:
            raise ValueError(f"base score must be within 0..100, not {self.base_score}")
        if not 0 <= self.threshold <= 100:
            raise ValueError(f"threshold must be within 0..100, not {self.threshold}")

    @property
    def lifetime_seconds(self) -> float:
        return self.lifetime_days * DAY

    def score(self, elapsed_seconds: float) -> float:
        """The score `elapsed_seconds` after the last refresh (base score at 0, falling to
        0 at the lifetime). A refresh in the future (clock skew) counts as just now."""
        t = max(elapsed_seconds, 0.0)
        if t >= self.lifetime_seconds:
            return 0.0
        value = self.base_score * (1.0 - (t / self.lifetime_seconds) ** (1.0 / self.decay_speed))
        return max(value, 0.0)

    def is_decayed(self, elapsed_seconds: float) -> bool:
        return self.score(elapsed_seconds) < self.threshold

    @property
    def never_decays(self) -> bool:
        # A score never falls below a threshold of 0 (it is clamped there).
        return self.threshold <= 0

    @property
    def always_decayed(self) -> bool:
        return self.threshold > self.base_score

    def decays_after(self) -> float:
        """Seconds after a refresh beyond which the score is below the threshold; the score
        at exactly this age equals the threshold. Infinite when it never decays; 0 when the
        base score is already below the threshold (see always_decayed)."""
        if self.never_decays:
            return math.inf
        if self.always_decayed:
            return 0.0
        return self.lifetime_seconds * (1.0 - self.threshold / self.base_score) ** self.decay_speed

    def live_since(self, now: dt.datetime) -> dt.datetime | None:
        """The oldest refresh time still live (not decayed) at `now`: the per-type cutoff for
        SQL. None when nothing ever decays; check always_decayed first."""
        after = self.decays_after()
        if math.isinf(after):
            return None
        return now - dt.timedelta(seconds=after)


def refreshed_at(
    last_sighted: dt.datetime | None,
    first_seen: dt.datetime | None,
    created: dt.datetime | None,
) -> dt.datetime | None:
    """The moment decay restarts from: the last sighting, else first seen, else creation."""
    return last_sighted or first_seen or created


def score_at(model: DecayModel, refreshed: dt.datetime | None, now: dt.datetime) -> float:
    """The score at `now` of an indicator refreshed at `refreshed` (never refreshed: the
    full base score, since nothing says it has aged)."""
    if refreshed is None:
        return model.base_score
    return model.score((now - refreshed).total_seconds())
