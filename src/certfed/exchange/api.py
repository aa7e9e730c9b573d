"""REST handlers of the exchange app (exports)."""

from ninja import Router

router = Router(tags=["exchange"])
