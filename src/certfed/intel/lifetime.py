"""Indicator lifetime: explicit expiry (valid_until) and decay (kernel.decay, MISP's
polynomial model with a lifetime per indicator type), and the detection filter every
detection export applies.

Settings (all optional), e.g. in settings.py:

    CERTFED_DECAY = {"base_score": 80, "decay_speed": 2, "threshold": 30,
                     "lifetime_days": {"ipv4": 60, "domain": 120, ...}}

Sightings refresh decay. Whose sightings: `decay_score` and `detection_filter` take the
last sighting from the indicator's denormalised `last_sighted` (every sighting) unless told
which sightings the reader may see (`last_sighted=` / `viewer=`): anything shown to a
member should pass those, so an indicator kept alive by a sighting the reader may not see
does not reveal that sighting.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from certfed.kernel.decay import (
    MISP_BASE_SCORE,
    MISP_DECAY_SPEED,
    MISP_THRESHOLD,
    DecayModel,
    refreshed_at,
    score_at,
)
from certfed.kernel.indicators import TYPES
from certfed.sharing.access import Viewer

# Days until the score reaches 0, per type: addresses are reassigned within weeks, domains
# and URLs live for months, a file hash names the same file forever (chosen for certfed;
# MISP's NIDS model uses 120 days for every network type).
DEFAULT_LIFETIME_DAYS: dict[str, float] = {
    "ipv4": 60,
    "ipv6": 60,
    "cidr": 120,
    "domain": 120,
    "url": 90,
    "email": 180,
    "md5": 730,
    "sha1": 730,
    "sha256": 730,
    "cve": 1825,
}
FALLBACK_LIFETIME_DAYS = 120.0

_UNSET = object()


def _configured() -> dict:
    return getattr(settings, "CERTFED_DECAY", None) or {}


def decay_model(type_name: str) -> DecayModel:
    conf = _configured()
    lifetimes = {**DEFAULT_LIFETIME_DAYS, **(conf.get("lifetime_days") or {})}
    return DecayModel(
        lifetime_days=float(lifetimes.get(type_name, FALLBACK_LIFETIME_DAYS)),
        decay_speed=float(conf.get("decay_speed", MISP_DECAY_SPEED)),
        base_score=float(conf.get("base_score", MISP_BASE_SCORE)),
        threshold=float(conf.get("threshold", MISP_THRESHOLD)),
    )


def score_of(
    type_name: str,
    *,
    last_sighted: dt.datetime | None,
    first_seen: dt.datetime | None,
    created: dt.datetime | None,
    now: dt.datetime | None = None,
) -> float:
    """The decay score from the raw fields (for callers holding JSON, not a model). Without
    `now`, as of the start of the current minute: reads moments apart agree, and a minute
    is nothing against lifetimes of weeks."""
    now = now or timezone.now().replace(second=0, microsecond=0)
    refreshed = refreshed_at(last_sighted, first_seen, created)
    return round(score_at(decay_model(type_name), refreshed, now), 2)


def decay_score(indicator, now: dt.datetime | None = None, *, last_sighted=_UNSET) -> float:
    """The indicator's decay score (0-100) at `now`. `last_sighted` overrides the stored
    last sighting (pass the last one the reader may see; None for "none visible")."""
    sighted = indicator.last_sighted if last_sighted is _UNSET else last_sighted
    return score_of(
        indicator.type,
        last_sighted=sighted,
        first_seen=indicator.first_seen,
        created=indicator.created,
        now=now,
    )


def is_decayed(indicator, now: dt.datetime | None = None, *, last_sighted=_UNSET) -> bool:
    return (
        decay_score(indicator, now, last_sighted=last_sighted)
        < decay_model(indicator.type).threshold
    )


def _refreshed(viewer: Viewer | None):
    if viewer is None:
        return Coalesce("last_sighted", "first_seen", "created")
    from certfed.intel.sightings import access_sightings

    last_visible = (
        access_sightings(viewer)
        .filter(indicator_id=OuterRef("pk"), type="sighting")
        .order_by()
        .values("indicator_id")
        .annotate(last=Max("time"))
        .values("last")
    )
    return Coalesce(Subquery(last_visible), F("first_seen"), F("created"))


def live_q(now: dt.datetime, viewer: Viewer | None = None) -> Q:
    """Not decayed at `now`: one condition per type, from the closed form of the model
    (refreshed no earlier than now - t_decay(type))."""
    refreshed = _refreshed(viewer)
    q = Q(pk__in=[])
    for type_name in sorted(TYPES):
        model = decay_model(type_name)
        if model.always_decayed:
            continue
        cutoff = model.live_since(now)
        if cutoff is None:
            q |= Q(type=type_name)
        else:
            q |= Q(type=type_name) & Q(GreaterThanOrEqual(refreshed, cutoff))
    return q


def detection_filter(
    qs: QuerySet,
    *,
    now: dt.datetime | None = None,
    include_expired: bool = False,
    include_decayed: bool = False,
    include_warninglisted: bool = False,
    include_non_detect: bool = False,
    viewer: Viewer | None = None,
) -> QuerySet:
    """The indicators of `qs` (already through the gate) fit for detection: marked
    to_detect, not expired (valid_until in the future or unset), not decayed, not on a
    warninglist — unless the flags say to keep those. Set-based SQL, whatever the size."""
    now = now or timezone.now()
    if not include_non_detect:
        qs = qs.filter(to_detect=True)
    if not include_expired:
        qs = qs.filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
    if not include_warninglisted:
        qs = qs.filter(warninglist="")
    if not include_decayed:
        qs = qs.filter(live_q(now, viewer))
    return qs
