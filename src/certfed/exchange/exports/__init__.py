"""Exports for defenders and peers, one small module per format, registered here by name:
GET /api/v1/export/{format} serves each of them."""

from __future__ import annotations

import importlib.util

from . import csv, suricata, text, zeek
from .base import ExportFormat, ExportOptions, Render, Unavailable


def _misp() -> Render:
    from certfed.exchange.misp.export import export_misp

    return lambda viewer, events, options: export_misp(viewer, events)


def _stix() -> Render:
    # The STIX package is built separately: without it, a clear 501 rather than a 500.
    if importlib.util.find_spec("certfed.exchange.stix.export") is None:
        raise Unavailable("the STIX 2.1 export is not available in this build")
    from certfed.exchange.stix.export import export_stix

    return lambda viewer, events, options: export_stix(viewer, events)


REGISTRY: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("stix", "application/stix+json;version=2.1", "json", False, _stix),
        ExportFormat("misp", "application/json", "json", False, _misp),
        csv.FORMAT,
        text.FORMAT,
        suricata.FORMAT,
        zeek.FORMAT,
    )
}

__all__ = ["REGISTRY", "ExportFormat", "ExportOptions"]
