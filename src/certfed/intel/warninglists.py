"""Warninglists (interim: the MISP warninglists are being wired into this module)."""

from __future__ import annotations


def warninglist_for(type_name: str, value: str) -> str:
    """Name of the first warninglist the value hits, or "" when none."""
    return ""
