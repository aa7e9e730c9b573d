"""Indicator kernel: validate, canonicalise, detect and extract threat indicators.

Pure Python (no Django), so the web app, the CLI and importers share one
definition of what a valid indicator is and what its canonical form looks like.
"""

from __future__ import annotations

# Importing the type modules registers them in TYPES, in this order.
from . import cidr, cve, domain, email, hashes, ipv4, ipv6, url  # noqa: F401, I001
from .base import (
    DETECT_ORDER,
    TYPES,
    IndicatorType,
    InvalidIndicator,
    detect_type,
    normalise,
    normalise_any,
)
from .extract import extract
from .refang import refang

__all__ = [
    "DETECT_ORDER",
    "TYPES",
    "IndicatorType",
    "InvalidIndicator",
    "detect_type",
    "extract",
    "normalise",
    "normalise_any",
    "refang",
]
