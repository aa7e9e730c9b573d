"""STIX 2.1 codec: patterns, TLP markings, ids and timestamps for certfed's indicator types.

Pure Python (no Django) so importers, exporters and the TAXII server share one mapping:

- an indicator type ↔ a STIX pattern over one cyber-observable property;
- TLP 2.0 marking definitions (the official OASIS objects and ids) and the TLP 1.0 ids
  STIX 2.1 predefines, accepted on import;
- deterministic ids: "indicator--<indicator uuid>", "report--<event uuid>",
  "identity--<organisation uuid>".

Patterns are validated and taken apart with the OASIS stix2-patterns grammar, never with
regular expressions alone: a pattern that the grammar rejects is an error, one it accepts
but that is more than "this value" (AND, FOLLOWEDBY, qualifiers, other operators or object
types) is reported as unsupported so the caller can keep the indicator unchanged. Only the
canonical one-comparison form is read without the grammar (a bulk import has 100,000 of
them); that reader accepts a strict subset of the grammar, and the tests check they agree.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid as uuidlib
from collections.abc import Iterable

from stix2patterns.exceptions import ParseException
from stix2patterns.v21.grammars.STIXPatternListener import STIXPatternListener
from stix2patterns.v21.pattern import Pattern

SPEC_VERSION = "2.1"

# -- TLP ----------------------------------------------------------------------------------

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
TLP2_MARKING_IDS: dict[str, str] = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# The TLP 1.0 markings STIX 2.1 predefines; accepted on import, never produced.
TLP1_MARKING_IDS: dict[str, str] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "CLEAR",  # white
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "GREEN",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "AMBER",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "RED",
}
TLP_BY_MARKING_ID: dict[str, str] = {v: k for k, v in TLP2_MARKING_IDS.items()} | TLP1_MARKING_IDS
_TLP_ORDER = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
_TLP_WORDS = {"WHITE": "CLEAR", "CLEAR": "CLEAR", "GREEN": "GREEN", "AMBER": "AMBER",
              "AMBER+STRICT": "AMBER+STRICT", "RED": "RED"}  # fmt: skip

# certfed's own property extension: carries what STIX has no property for (to_detect).
CERTFED_EXTENSION_ID = "extension-definition--3f6d1c2a-8a8e-4b2f-9c1e-5a4d2b7e9f10"


def tlp_marking(level: str) -> dict:
    """The official OASIS TLP 2.0 marking-definition object for a certfed TLP level."""
    return {
        "type": "marking-definition",
        "spec_version": SPEC_VERSION,
        "id": TLP2_MARKING_IDS[level],
        "created": TLP2_CREATED,
        "name": f"TLP:{level}",
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level.lower()}
        },
    }


# The names the rest of the platform (and benchmarks/exchange.py) use.
TLP_MARKING_IDS = TLP2_MARKING_IDS


def tlp_marking_definition(level: str) -> dict:
    return tlp_marking(level)


def tlp_of_marking_object(obj: dict) -> str | None:
    """The TLP level a marking-definition object stands for (any id: a producer may mint its
    own TLP markings, as OpenCTI does), or None when it is not a TLP marking."""
    known = TLP_BY_MARKING_ID.get(str(obj.get("id")))
    if known:
        return known
    extensions = obj.get("extensions")
    ext = extensions.get(TLP2_EXTENSION_ID) if isinstance(extensions, dict) else None
    if isinstance(ext, dict) and isinstance(ext.get("tlp_2_0"), str):
        return _TLP_WORDS.get(ext["tlp_2_0"].upper())
    definition = obj.get("definition")
    if str(obj.get("definition_type", "")).lower() == "tlp" and isinstance(definition, dict):
        word = next((str(v) for k, v in definition.items() if str(k).lower() == "tlp"), "")
        level = _tlp_word(word)
        if level:
            return level
    name = str(obj.get("name") or "")
    return _tlp_word(name) if name.upper().startswith("TLP:") else None


def _tlp_word(text: str) -> str | None:
    text = text.strip().upper()
    return _TLP_WORDS.get(text[4:].strip() if text.startswith("TLP:") else text)


def strictest_tlp(refs: Iterable[str], local: dict[str, str] | None = None) -> str | None:
    """The strictest TLP among marking refs (official ids, or ids a bundle defines in
    `local`); None when no ref is a TLP marking."""
    found = None
    for ref in refs or ():
        if not isinstance(ref, str):
            continue
        level = TLP_BY_MARKING_ID.get(ref) or (local or {}).get(ref)
        if level and (found is None or _TLP_ORDER.index(level) > _TLP_ORDER.index(found)):
            found = level
    return found


# -- ids and timestamps ---------------------------------------------------------------------

_ID_TYPE = re.compile(r"[a-z0-9][a-z0-9-]{0,248}[a-z0-9]")
_ID_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
# Originator identities of imported content are named, not numbered: a stable id per name.
_ORIGINATOR_NS = uuidlib.UUID("0b7d3c52-44a5-4f0e-8f61-6b0f5e2b8a17")


def stix_id(type_name: str, value: uuidlib.UUID | str) -> str:
    return f"{type_name}--{value}"


def split_id(value: object) -> tuple[str, uuidlib.UUID]:
    """(type, uuid) of a STIX identifier; ValueError when it is not one."""
    # The uuid is the last 36 characters: split there rather than let one regex find the
    # "--" (backtracking through the uuid costs more than everything else here).
    if isinstance(value, str) and value[-38:-36] == "--":
        kind, text = value[:-38], value[-36:]
        if _ID_TYPE.fullmatch(kind) and _ID_UUID.fullmatch(text):
            return kind, uuidlib.UUID(text)
    raise ValueError(f"{value!r} is not a STIX identifier (type--uuid)")


def stable_uuid(namespace: uuidlib.UUID, name: str) -> uuidlib.UUID:
    """A deterministic uuid shaped as version 4: STIX wants v4 ids on domain objects (the
    OASIS validator insists in strict mode), and a re-import must mint the same one."""
    return uuidlib.UUID(bytes=uuidlib.uuid5(namespace, name).bytes, version=4)


def originator_identity_id(name: str) -> str:
    return stix_id("identity", stable_uuid(_ORIGINATOR_NS, name.strip().lower()))


# Rows written together share their times: formatting each distinct time once matters when
# a TAXII page serialises thousands of objects.
@functools.lru_cache(maxsize=8192)
def timestamp(value: dt.datetime) -> str:
    """A STIX timestamp at millisecond precision (what created/modified require)."""
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@functools.lru_cache(maxsize=8192)
def timestamp_us(value: dt.datetime) -> str:
    """A timestamp at microsecond precision: TAXII date_added, so added_after is exact."""
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}Z"


_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@functools.lru_cache(maxsize=65536)
def _parse_timestamp(text: str) -> dt.datetime:
    if not _TS.match(text):
        raise ValueError(f"{text!r} is not a timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)")
    text = text.replace("Z", "+00:00")
    head, _, rest = text.partition(".")
    if rest:  # Python parses at most 6 fractional digits; STIX allows more.
        digits = re.match(r"\d+", rest).group()
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}"
    try:
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC)
    except OverflowError:  # an offset past year 1 or 9999
        raise ValueError(f"{text!r} is outside the supported dates") from None


def parse_timestamp(value: object) -> dt.datetime:
    """A STIX/TAXII timestamp as an aware UTC datetime; ValueError when it is not one."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)")
    # A bundle repeats a handful of times thousands of times: parse each once.
    return _parse_timestamp(value.strip())


# -- patterns ---------------------------------------------------------------------------------

_PATHS: dict[str, str] = {
    "ipv4": "ipv4-addr:value",
    "ipv6": "ipv6-addr:value",
    "domain": "domain-name:value",
    "url": "url:value",
    "email": "email-addr:value",
    "md5": "file:hashes.MD5",
    "sha1": "file:hashes.'SHA-1'",
    "sha256": "file:hashes.'SHA-256'",
}
PATTERN_TYPES = frozenset(_PATHS) | {"cidr"}  # cve is a vulnerability, not a pattern
_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA1": "sha1", "SHA-256": "sha256", "SHA256": "sha256"}


class PatternError(ValueError):
    """The pattern is not valid STIX 2.1 pattern syntax."""


def escape(value: str) -> str:
    """A value as the inside of a STIX pattern string literal."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _unescape(literal: str) -> str:
    return re.sub(r"\\(['\\])", r"\1", literal[1:-1])


def pattern_for(type_name: str, value: str) -> str:
    """The STIX pattern matching one certfed indicator (canonical value)."""
    if type_name == "cidr":
        path = "ipv6-addr:value" if ":" in value else "ipv4-addr:value"
    else:
        try:
            path = _PATHS[type_name]
        except KeyError:
            raise ValueError(f"{type_name} indicators have no STIX pattern") from None
    return f"[{path} = '{escape(value)}']"


class _Shape(STIXPatternListener):
    """Collects the equality tests and notes anything beyond ORed equality tests."""

    def __init__(self) -> None:
        self.complex = False
        self.tests: list[tuple[str, tuple, str]] = []  # (object type, path, literal text)
        self._type = ""
        self._path: list = []

    def _not_simple(self, ctx) -> None:
        self.complex = True

    enterObservationExpressionRepeated = _not_simple  # noqa: N815 - antlr listener names
    enterObservationExpressionWithin = _not_simple  # noqa: N815
    enterObservationExpressionStartStop = _not_simple  # noqa: N815
    enterPropTestOrder = _not_simple  # noqa: N815
    enterPropTestSet = _not_simple  # noqa: N815
    enterPropTestLike = _not_simple  # noqa: N815
    enterPropTestRegex = _not_simple  # noqa: N815
    enterPropTestIsSubset = _not_simple  # noqa: N815
    enterPropTestIsSuperset = _not_simple  # noqa: N815
    enterPropTestExists = _not_simple  # noqa: N815

    def enterObservationExpressions(self, ctx):  # noqa: N802
        if ctx.FOLLOWEDBY():
            self.complex = True

    def enterObservationExpressionAnd(self, ctx):  # noqa: N802
        if ctx.AND():
            self.complex = True

    def enterComparisonExpressionAnd(self, ctx):  # noqa: N802
        if ctx.AND():
            self.complex = True

    def exitObjectType(self, ctx):  # noqa: N802
        self._type = ctx.getText()

    def exitFirstPathComponent(self, ctx):  # noqa: N802
        literal = ctx.StringLiteral()
        self._path = [_unescape(literal.getText()) if literal else ctx.getText()]

    def exitKeyPathStep(self, ctx):  # noqa: N802
        literal = ctx.StringLiteral()
        ident = ctx.IdentifierWithoutHyphen()
        self._path.append(ident.getText() if ident else _unescape(literal.getText()))

    def exitIndexPathStep(self, ctx):  # noqa: N802
        self._path.append("*" if ctx.ASTERISK() else ctx.IntPosLiteral().getText())

    def exitPropTestEqual(self, ctx):  # noqa: N802
        if ctx.NOT() or ctx.NEQ():
            self.complex = True
            return
        self.tests.append((self._type, tuple(self._path), ctx.primitiveLiteral().getText()))


def check_pattern(pattern: str) -> Pattern:
    """Parse a pattern with the OASIS grammar; PatternError (with its message) if invalid."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise PatternError("the pattern is empty")
    try:
        return Pattern(pattern)
    except ParseException as exc:
        raise PatternError(str(exc)) from None


def _kernel_type(obj_type: str, path: tuple, value: str) -> str | None:
    if path == ("value",):
        if obj_type in ("ipv4-addr", "ipv6-addr"):
            return "cidr" if "/" in value else obj_type[:4]
        return {"domain-name": "domain", "url": "url", "email-addr": "email"}.get(obj_type)
    if obj_type == "file" and len(path) == 2 and path[0] == "hashes":
        return _HASHES.get(str(path[1]).upper())
    return None


# The one-comparison form every producer writes ("[ipv4-addr:value = '1.2.3.4']"), read
# without building a parse tree. It accepts a strict subset of the grammar's language (the
# tests check both agree on it); anything else goes through the OASIS grammar below.
_SIMPLE = re.compile(
    r"\[(ipv4-addr|ipv6-addr|domain-name|url|email-addr|file):"
    # The literal as an unrolled loop: one character class run per step, not per character.
    r"(value|hashes\.(?:MD5|'SHA-1'|'SHA-256'|SHA1|SHA256)) = '([^'\\]*(?:\\['\\][^'\\]*)*)'\]"
)


def _simple(pattern: str) -> list[tuple[str, str]] | None:
    m = _SIMPLE.fullmatch(pattern)
    if m is None:
        return None
    obj_type, path, literal = m.groups()
    steps = ("value",) if path == "value" else ("hashes", path[7:].strip("'"))
    value = re.sub(r"\\(['\\])", r"\1", literal) if "\\" in literal else literal
    kind = _kernel_type(obj_type, steps, value)
    return [(kind, value)] if kind else None


def parse_pattern(pattern: str) -> list[tuple[str, str]] | None:
    """The (certfed type, value) pairs a simple pattern matches — one equality test, or
    several ORed — or None when the pattern is valid but more than that. Values come back
    as the pattern gives them (not yet normalised). PatternError when it is not valid."""
    if isinstance(pattern, str):
        fast = _simple(pattern)
        if fast is not None:
            return fast
    return _parse_tree(pattern)


def _parse_tree(pattern: str) -> list[tuple[str, str]] | None:
    shape = _Shape()
    check_pattern(pattern).walk(shape)
    if shape.complex or not shape.tests:
        return None
    out: list[tuple[str, str]] = []
    for obj_type, path, literal in shape.tests:
        if not (literal.startswith("'") and literal.endswith("'")):
            return None  # numbers, binaries, timestamps: not one of our values
        value = _unescape(literal)
        kind = _kernel_type(obj_type, path, value)
        if kind is None:
            return None
        if (kind, value) not in out:
            out.append((kind, value))
    return out


# -- cyber-observables ------------------------------------------------------------------------


def sco_values(sco: dict) -> list[tuple[str, str]]:
    """The (certfed type, value) pairs of a supported cyber-observable object, else []."""
    kind = sco.get("type")
    value = sco.get("value")
    if kind in ("ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr"):
        if isinstance(value, str) and value.strip():
            return [(_kernel_type(kind, ("value",), value), value)]
        return []
    if kind == "file" and isinstance(sco.get("hashes"), dict):
        out = []
        for name, digest in sco["hashes"].items():
            t = _HASHES.get(str(name).upper())
            if t and isinstance(digest, str):
                out.append((t, digest))
        return out
    return []


# -- other SDOs -------------------------------------------------------------------------------

_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)
_ATTACK = re.compile(r"^T\d{4}(\.\d{3})?$", re.IGNORECASE)


def _list(value) -> list:
    return value if isinstance(value, list) else []


def cve_of(vulnerability: dict) -> str | None:
    """The CVE id of a vulnerability object (external reference "cve", else its name)."""
    for ref in _list(vulnerability.get("external_references")):
        if isinstance(ref, dict) and str(ref.get("source_name", "")).lower() == "cve":
            ext = str(ref.get("external_id") or "")
            if _CVE.match(ext):
                return ext.upper()
    name = str(vulnerability.get("name") or "")
    return name.upper() if _CVE.match(name) else None


def attack_ids(obj: dict) -> list[str]:
    """MITRE ATT&CK technique ids (T1566, T1059.001) in an object's external references."""
    out = []
    for ref in _list(obj.get("external_references")):
        if isinstance(ref, dict) and str(ref.get("source_name", "")).lower().startswith("mitre-"):
            ext = str(ref.get("external_id") or "")
            if _ATTACK.match(ext) and ext.upper() not in out:
                out.append(ext.upper())
    return out


# -- building objects -------------------------------------------------------------------------


def _common(type_name: str, id_: str, created: str, modified: str, tlp: str | None,
            created_by: str | None) -> dict:  # fmt: skip
    obj = {"type": type_name, "spec_version": SPEC_VERSION, "id": id_,
           "created": created, "modified": modified}  # fmt: skip
    if created_by:
        obj["created_by_ref"] = created_by
    if tlp:
        obj["object_marking_refs"] = [TLP2_MARKING_IDS[tlp]]
    return obj


def indicator_object(
    *,
    uuid: uuidlib.UUID | str,
    type_name: str,
    value: str,
    created: dt.datetime,
    modified: dt.datetime,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    description: str = "",
    tlp: str | None = None,
    created_by: str | None = None,
    to_detect: bool = True,
) -> dict:
    """One certfed indicator as STIX: an indicator with a pattern, or for a CVE a
    vulnerability (a CVE is knowledge, not something to match)."""
    created_s, modified_s = timestamp(created), timestamp(max(created, modified))
    if type_name == "cve":
        obj = _common("vulnerability", stix_id("vulnerability", uuid), created_s, modified_s,
                      tlp, created_by)  # fmt: skip
        obj["name"] = value
        obj["description"] = description
        obj["external_references"] = [{"source_name": "cve", "external_id": value}]
        return obj
    obj = _common("indicator", stix_id("indicator", uuid), created_s, modified_s, tlp,
                  created_by)  # fmt: skip
    start = valid_from or created
    if valid_until is not None and valid_until <= start:
        # valid_until must be later than valid_from; keep the expiry, move the start.
        start = valid_until - dt.timedelta(seconds=1)
    obj["name"] = value[:250]
    obj["description"] = description
    obj["pattern"] = pattern_for(type_name, value)
    obj["pattern_type"] = "stix"
    obj["valid_from"] = timestamp(start)
    if valid_until is not None:
        obj["valid_until"] = timestamp(valid_until)
    if not to_detect:
        obj["extensions"] = {
            CERTFED_EXTENSION_ID: {"extension_type": "property-extension", "to_detect": False}
        }
    return obj


def to_detect_of(indicator: dict) -> bool:
    extensions = indicator.get("extensions")
    ext = extensions.get(CERTFED_EXTENSION_ID) if isinstance(extensions, dict) else None
    return not (isinstance(ext, dict) and ext.get("to_detect") is False)


def report_object(
    *,
    uuid: uuidlib.UUID | str,
    name: str,
    description: str,
    published: dt.datetime,
    created: dt.datetime,
    modified: dt.datetime,
    object_refs: list[str],
    labels: list[str],
    tlp: str,
    created_by: str | None,
) -> dict:
    obj = _common("report", stix_id("report", uuid), timestamp(created),
                  timestamp(max(created, modified)), tlp, created_by)  # fmt: skip
    obj["name"] = name
    obj["description"] = description
    obj["published"] = timestamp(published)
    obj["object_refs"] = object_refs
    if labels:
        obj["labels"] = labels
    return obj


def identity_object(id_: str, name: str, created: dt.datetime) -> dict:
    stamp = timestamp(created)
    return {"type": "identity", "spec_version": SPEC_VERSION, "id": id_, "created": stamp,
            "modified": stamp, "name": name, "identity_class": "organization"}  # fmt: skip
