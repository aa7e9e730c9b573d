"""Suricata rules: one alert per indicator, in shapes that load on Suricata 6 and 7.

    ipv4, ipv6, cidr  alert ip $HOME_NET any <> ADDR any      (either direction)
    domain            alert dns … dns.query; dotprefix; content:".NAME"; nocase; endswith;
                      (the name and every subdomain)
    url (http, https, ws, wss)
                      alert http … http.host; content:"HOST"; startswith; endswith;
                      http.uri; content:"PATH?QUERY"; startswith;   (the path: if not "/")
    md5, sha1, sha256 filemd5/filesha1/filesha256 take a list *file*, not inline values: the
                      header carries those three rules commented out, with how to enable
                      them (save /api/v1/export/text?type=md5 etc. next to the rules).
    email, cve, ftp URLs have no portable keyword and are not listed.

sids are stable per indicator: base + (indicator uuid mod 2^30), probing past a collision,
so suppressions and tickets that name a sid keep working across exports and re-imports. The
base is CERTFED_SURICATA_SID_BASE (default 1,000,000,000) or the request's `sid_base`.
The TLP of each indicator is in its msg.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet

from certfed.intel.queries import effective_tlp
from certfed.platform.errors import Invalid
from certfed.sharing.access import Viewer

from .base import ExportFormat, ExportOptions

SID_SPACE = 1 << 30
DEFAULT_SID_BASE = 1_000_000_000
MAX_SID = (1 << 32) - 1
_HTTP_SCHEMES = ("http", "https", "ws", "wss")
# Quotes, semicolons, backslashes and parentheses are left out of msg text (and hex-escaped
# in content) so each rule stays one balanced, unambiguous line for any parser.
_MSG_UNSAFE = re.compile(r"[^\x20-\x7e]|[\"';\\()]")

HEADER = """\
# certfed Suricata rules: one alert per indicator, TLP in each msg. Respect the TLP.
# File hashes need list files: save /api/v1/export/text?type=md5 (sha1, sha256) as
# certfed-md5.list (-sha1, -sha256) next to this file, then uncomment:
# alert http any any -> any any (msg:"certfed file md5 match"; filemd5:certfed-md5.list; sid:{b0}; rev:1;)
# alert http any any -> any any (msg:"certfed file sha1 match"; filesha1:certfed-sha1.list; sid:{b1}; rev:1;)
# alert http any any -> any any (msg:"certfed file sha256 match"; filesha256:certfed-sha256.list; sid:{b2}; rev:1;)
"""  # noqa: E501 - rule lines cannot wrap


def sid_base(options: ExportOptions) -> int:
    base = options.sid_base
    if base is None:
        configured = getattr(settings, "CERTFED_SURICATA_SID_BASE", None)
        configured = configured or os.environ.get("CERTFED_SURICATA_SID_BASE", "")
        try:
            base = int(configured or DEFAULT_SID_BASE)
        except ValueError:
            raise Invalid(f"{configured!r} is not a number", "CERTFED_SURICATA_SID_BASE") from None
    if not 1 <= base <= MAX_SID - SID_SPACE - 3:
        raise Invalid(f"{base} is outside 1..{MAX_SID - SID_SPACE - 3}", "sid_base")
    return base


def _content(text: str) -> str:
    """A content string with the characters rules reserve (and any non-printable byte)
    written as |hex|, which every Suricata version reads."""
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if 0x20 <= byte <= 0x7E and ch not in '";\\|()':
            out.append(ch)
        else:
            out.append(f"|{byte:02X}|")
    return "".join(out).replace("||", " ")


def _msg(tlp: str, type_name: str, title: str) -> str:
    title = _MSG_UNSAFE.sub(" ", title)
    title = " ".join(title.split())[:80]
    return f"certfed TLP:{tlp} {type_name} - {title}"


def _url_match(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in _HTTP_SCHEMES or not parts.hostname:
        return None
    host = parts.hostname
    match = f'http.host; content:"{_content(host)}"; startswith; endswith;'
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if path != "/":
        match += f' http.uri; content:"{_content(path)}"; startswith;'
    return match


def _rule(type_name: str, value: str) -> tuple[str, str] | None:
    """(header, match options) for one indicator, or None for types with no rule."""
    if type_name in ("ipv4", "ipv6", "cidr"):
        return f"alert ip $HOME_NET any <> {value} any", ""
    if type_name == "domain":
        match = f'dns.query; dotprefix; content:"{_content("." + value)}"; nocase; endswith;'
        return "alert dns $HOME_NET any -> any any", match
    if type_name == "url":
        match = _url_match(value)
        if match is None:
            return None
        return "alert http $HOME_NET any -> any any", f"flow:established,to_server; {match}"
    return None


class _Sids:
    def __init__(self, base: int) -> None:
        self.base = base
        self.used: set[int] = set()

    def take(self, uuid) -> int:
        slot = uuid.int % SID_SPACE
        while slot in self.used:
            slot = (slot + 1) % SID_SPACE
        self.used.add(slot)
        # Three sids below the per-indicator range are the hash-list rules'.
        return self.base + 3 + slot


def render(viewer: Viewer, indicators: QuerySet, options: ExportOptions) -> Iterator[bytes]:
    base = sid_base(options)
    yield HEADER.format(b0=base, b1=base + 1, b2=base + 2).encode()
    sids = _Sids(base)
    qs = indicators.filter(type__in=("ipv4", "ipv6", "cidr", "domain", "url"))
    qs = qs.select_related("event").order_by("id")
    lines: list[str] = []
    for ind in qs.iterator(chunk_size=2000):
        event = ind.event
        rule = _rule(ind.type, ind.value)
        if rule is None:
            continue
        header, match = rule
        tlp = effective_tlp(ind, event)
        meta = (
            f"metadata:certfed_indicator {ind.uuid}, certfed_event {event.uuid}, tlp {tlp.lower()};"
        )
        body = " ".join(p for p in (f'msg:"{_msg(tlp, ind.type, event.title)}";', match, meta) if p)
        lines.append(f"{header} ({body} sid:{sids.take(ind.uuid)}; rev:1;)\n")
        if len(lines) >= 2000:
            yield "".join(lines).encode()
            lines = []
    yield "".join(lines).encode()


FORMAT = ExportFormat(
    "suricata", "text/plain; charset=utf-8", "rules", True, lambda: render, check=sid_base
)
