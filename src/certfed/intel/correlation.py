"""Correlation between events (interim: the value index is being built in this module)."""

from __future__ import annotations


def values_changed(values: set[str]) -> None:
    """Called by every write with the indicator values it added, changed or removed."""
