"""TLP 2.0, PAP and distribution: the label rules every shared object obeys.

Pure Python so the same rules serve the gate, the importers and the property tests.
"""

from __future__ import annotations

from dataclasses import dataclass

# Ordered loosest first: a higher index is stricter.
TLP_LEVELS: tuple[str, ...] = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
PAP_LEVELS: tuple[str, ...] = ("CLEAR", "GREEN", "AMBER", "RED")
# Ordered narrowest first: a higher index reaches more organisations.
DISTRIBUTIONS: tuple[str, ...] = (
    "organisation",
    "sharing_group",
    "community",
    "federation",
    "public",
)
CATEGORIES: tuple[str, ...] = ("full", "general", "professional", "affiliate", "commercial")

# TLP 1.0 spelling and common variants, accepted on input and stored in 2.0 form.
_TLP_ALIASES = {"WHITE": "CLEAR", "AMBER_STRICT": "AMBER+STRICT", "AMBER STRICT": "AMBER+STRICT"}


class LabelError(ValueError):
    """A label or a combination of labels breaks the sharing rules; the message says which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_tlp(value: str, field: str = "tlp") -> str:
    """Canonical TLP 2.0 label, accepting "tlp:amber" and TLP 1.0's WHITE."""
    raw = str(value).strip().upper()
    if raw.startswith("TLP:"):
        raw = raw[4:]
    raw = _TLP_ALIASES.get(raw, raw)
    if raw not in TLP_LEVELS:
        raise LabelError(field, f"{value!r} is not a TLP 2.0 label (use {', '.join(TLP_LEVELS)})")
    return raw


def parse_pap(value: str, field: str = "pap") -> str:
    raw = str(value).strip().upper()
    if raw.startswith("PAP:"):
        raw = raw[4:]
    raw = {"WHITE": "CLEAR"}.get(raw, raw)
    if raw not in PAP_LEVELS:
        raise LabelError(field, f"{value!r} is not a PAP label (use {', '.join(PAP_LEVELS)})")
    return raw


def parse_distribution(value: str, field: str = "distribution") -> str:
    raw = str(value).strip().lower()
    if raw not in DISTRIBUTIONS:
        raise LabelError(field, f"{value!r} is not a distribution (use {', '.join(DISTRIBUTIONS)})")
    return raw


def tlp_rank(tlp: str) -> int:
    return TLP_LEVELS.index(tlp)


def stricter_tlp(a: str, b: str) -> str:
    return a if tlp_rank(a) >= tlp_rank(b) else b


def pap_rank(pap: str) -> int:
    return PAP_LEVELS.index(pap)


def distribution_rank(distribution: str) -> int:
    return DISTRIBUTIONS.index(distribution)


@dataclass(frozen=True)
class Labels:
    """The sharing labels of one object, as the rules see them."""

    tlp: str
    pap: str
    distribution: str
    sharing_group: object | None = None  # any hashable id; None when not sharing_group


def validate(labels: Labels, prefix: str = "") -> None:
    """Reject a label combination the rules forbid. Never changes anything silently."""
    p = f"{prefix}." if prefix else ""
    if labels.distribution == "sharing_group" and labels.sharing_group is None:
        raise LabelError(f"{p}sharing_group", "distribution 'sharing_group' needs a sharing group")
    if labels.distribution != "sharing_group" and labels.sharing_group is not None:
        raise LabelError(
            f"{p}sharing_group",
            f"a sharing group is only used with distribution 'sharing_group', "
            f"not {labels.distribution!r}",
        )
    if labels.distribution == "public" and labels.tlp != "CLEAR":
        raise LabelError(
            f"{p}distribution", f"'public' is only allowed with TLP CLEAR, not {labels.tlp}"
        )
    if labels.tlp == "RED" and labels.distribution not in ("organisation", "sharing_group"):
        raise LabelError(
            f"{p}distribution",
            f"TLP RED names its recipients: use 'organisation' or 'sharing_group', "
            f"not {labels.distribution!r}",
        )


def validate_child(parent: Labels, child: Labels, prefix: str) -> None:
    """A child may narrow its parent's labels, never loosen them."""
    validate(child, prefix)
    if tlp_rank(child.tlp) < tlp_rank(parent.tlp):
        raise LabelError(f"{prefix}.tlp", f"{child.tlp} is looser than its parent's {parent.tlp}")
    if pap_rank(child.pap) < pap_rank(parent.pap):
        raise LabelError(f"{prefix}.pap", f"{child.pap} is looser than its parent's {parent.pap}")
    if distribution_rank(child.distribution) > distribution_rank(parent.distribution):
        raise LabelError(
            f"{prefix}.distribution",
            f"{child.distribution!r} reaches further than its parent's {parent.distribution!r}",
        )
    # A child's own sharing group must be its whole audience: inside a community, another
    # group or an organisation-only parent, the intersection would differ from its label.
    if child.distribution == "sharing_group" and not (
        parent.distribution in ("federation", "public")
        or child.sharing_group == parent.sharing_group
    ):
        raise LabelError(
            f"{prefix}.sharing_group",
            "an indicator may name its own sharing group only inside a federation or public "
            "event, or use its event's sharing group",
        )


def audience_includes(
    labels: Labels,
    *,
    owner: object,
    viewer_org: object | None,
    viewer_category: str | None,
    viewer_active: bool,
    viewer_groups: frozenset,
    community: frozenset[str],
) -> bool:
    """Whether one organisation (or the anonymous public, viewer_org None) is in the audience.

    The database gate (sharing.access) expresses the same rule as SQL; the property tests
    check the two against each other.
    """
    if viewer_org is None:
        return labels.distribution == "public"
    if not viewer_active:
        return False
    if viewer_org == owner:
        return True
    d = labels.distribution
    if d == "public" or d == "federation":
        return True
    if d == "community":
        return viewer_category in community
    if d == "sharing_group":
        return labels.sharing_group in viewer_groups
    return False
