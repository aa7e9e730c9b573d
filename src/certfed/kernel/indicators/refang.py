"""Undo the "defanging" analysts apply so indicators can't be clicked or resolved.

One regex pass with a lookup table: cheap enough to run over a whole pasted
advisory, and it only touches the bracketed forms, so ordinary prose is left alone.
"""

from __future__ import annotations

import re

_REPLACEMENTS = {
    "[.]": ".",
    "(.)": ".",
    "{.}": ".",
    "[dot]": ".",
    "(dot)": ".",
    "[:]": ":",
    "[://]": "://",
    "[/]": "/",
    "[@]": "@",
    "[at]": "@",
    "(at)": "@",
}

_SCHEMES = {"hxxp": "http", "hxxps": "https", "fxp": "ftp"}

_DEFANGED = re.compile(
    r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\[://\]|\[:\]|\[/\]|\[@\]|\[at\]|\(at\)"
    # A defanged scheme is only rewritten when a (possibly defanged) "://" follows,
    # so words such as "hxxp" in prose survive.
    r"|\b(?:hxxps?|fxp)(?=://|\[://\]|\[:\]//)",
    # ASCII-only case folding: with full Unicode folding "hxxp\u017f" would match too.
    re.IGNORECASE | re.ASCII,
)


def _replace(match: re.Match[str]) -> str:
    token = match.group().lower()
    return _REPLACEMENTS.get(token) or _SCHEMES[token]


def refang(text: str) -> str:
    """Return ``text`` with defanged indicator notation turned back into the real thing."""
    return _DEFANGED.sub(_replace, text)
