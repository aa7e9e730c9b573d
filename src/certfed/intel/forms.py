"""Web forms of the intel app. They gather strings and turn the pasted indicator text into
the list the actions take; every rule (labels, values, who may write) stays in the actions
and queries, whose ActionError messages are shown on the form."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django import forms

from certfed.intel.models import Event, Indicator
from certfed.kernel.indicators import TYPES, extract
from certfed.kernel.labels import DISTRIBUTIONS, PAP_LEVELS, TLP_LEVELS
from certfed.members.forms import apply_action_error

TLP_CHOICES = [(t, f"TLP:{t}") for t in TLP_LEVELS]
PAP_CHOICES = [(p, f"PAP:{p}") for p in PAP_LEVELS]
DISTRIBUTION_CHOICES = [(d, d.replace("_", " ")) for d in DISTRIBUTIONS]
THREAT_CHOICES = [(t.value, t.label) for t in Event.ThreatLevel]
TYPE_CHOICES = [("", "any type"), *[(t, t) for t in sorted(TYPES)]]

# Select widgets on CharFields: the page offers the valid choices, but an odd value still
# reaches the query or action, whose message names the rule (one source of truth).


def _select(choices, **attrs) -> forms.Select:
    return forms.Select(choices=choices, attrs=attrs)


class EventFilterForm(forms.Form):
    q = forms.CharField(
        label="Text",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "title or description"}),
    )
    tlp = forms.CharField(label="TLP", required=False, widget=_select([("", "any"), *TLP_CHOICES]))
    distribution = forms.CharField(
        label="Distribution", required=False, widget=_select([("", "any"), *DISTRIBUTION_CHOICES])
    )
    owner = forms.CharField(
        label="Owner",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "short name", "size": 10}),
    )
    tag = forms.CharField(
        label="Tag",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "T1566, rsit:…", "size": 12}),
    )
    since = forms.CharField(
        label="Modified since", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    published = forms.CharField(
        label="State",
        required=False,
        widget=_select([("", "any"), ("yes", "published"), ("no", "drafts")]),
    )

    def filters(self) -> dict:
        data = {k: (v or None) for k, v in self.cleaned_data.items()}
        data["published"] = {"yes": True, "no": False}.get(self.cleaned_data["published"])
        return data


class EventForm(forms.Form):
    title = forms.CharField(
        label="Title",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"autofocus": True}),
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    date = forms.CharField(
        label="Date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    threat_level = forms.CharField(
        label="Threat level", initial="undefined", widget=_select(THREAT_CHOICES)
    )
    tags = forms.CharField(
        label="Tags",
        required=False,
        help_text="Comma-separated. ATT&CK technique ids (T1566, T1059.001) are recognised.",
        widget=forms.TextInput(attrs={"placeholder": "T1566.001, rsit:phishing, banking"}),
    )
    tlp = forms.CharField(label="TLP", initial="AMBER", widget=_select(TLP_CHOICES))
    pap = forms.CharField(label="PAP", initial="AMBER", widget=_select(PAP_CHOICES))
    distribution = forms.CharField(
        label="Distribution", initial="organisation", widget=_select(DISTRIBUTION_CHOICES)
    )
    sharing_group = forms.CharField(
        label="Sharing group",
        required=False,
        widget=forms.Select,
        help_text="Only with distribution 'sharing group'.",
    )
    published = forms.BooleanField(
        label="Published",
        required=False,
        help_text="Drafts are seen by your organisation only.",
    )
    indicators = forms.CharField(
        label="Indicators",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "mono"}),
        help_text="Paste free text: an advisory, an email, a list. Defanged values such as "
        "hxxp://evil[.]com or 1.2.3[.]4 are recognised. Removing a line removes the indicator.",
    )

    def __init__(self, *args, sharing_groups: Iterable = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sharing_group"].widget.choices = [
            ("", "—"),
            *[(str(g.uuid), g.name) for g in sharing_groups],
        ]

    def event_data(self) -> dict:
        """The action's input, without indicators (see plan_indicators)."""
        d = self.cleaned_data
        return {
            "title": d["title"],
            "description": d["description"],
            "date": d["date"] or None,
            "threat_level": d["threat_level"],
            "tags": [t.strip() for t in d["tags"].split(",") if t.strip()],
            "tlp": d["tlp"],
            "pap": d["pap"],
            "distribution": d["distribution"],
            "sharing_group": d["sharing_group"] or None,
            "published": d["published"],
        }


def event_initial(event: Event) -> dict:
    """The edit form's starting values: the event as stored, its indicators one per line."""
    return {
        "title": event.title,
        "description": event.description,
        "date": event.date.isoformat(),
        "threat_level": event.threat_level,
        "tags": ", ".join(t.name for t in event.tags.all()),
        "tlp": event.tlp,
        "pap": event.pap,
        "distribution": event.distribution,
        "sharing_group": str(event.sharing_group.uuid) if event.sharing_group_id else "",
        "published": event.published,
        "indicators": "".join(f"{i.value}\n" for i in event.indicators.all()),
    }


@dataclass
class PlannedIndicator:
    type: str
    value: str
    existing: Indicator | None = None

    @property
    def kept(self) -> bool:
        return self.existing is not None

    def as_input(self) -> dict:
        """For a kept indicator, everything the form does not show rides along, so an edit
        loses nothing: its uuid, comment, detection flag, dates and its own labels."""
        old = self.existing
        if old is None:
            return {"type": self.type, "value": self.value}
        item = {
            "uuid": str(old.uuid),
            "type": self.type,
            "value": self.value,
            "comment": old.comment,
            "to_detect": old.to_detect,
            "first_seen": old.first_seen,
            "last_seen": old.last_seen,
            "valid_until": old.valid_until,
        }
        for label in ("tlp", "pap", "distribution"):
            if getattr(old, label):
                item[label] = getattr(old, label)
        if old.distribution and old.sharing_group_id:
            item["sharing_group"] = str(old.sharing_group.uuid)
        return item


@dataclass
class IndicatorPlan:
    items: list[PlannedIndicator] = field(default_factory=list)
    removed: list[Indicator] = field(default_factory=list)

    def as_input(self) -> list[dict]:
        return [p.as_input() for p in self.items]

    @property
    def new_count(self) -> int:
        return sum(1 for p in self.items if not p.kept)


def plan_indicators(text: str, existing: Iterable[Indicator] = ()) -> IndicatorPlan:
    """What the pasted text means for the event's indicators.

    A line that is exactly a current value keeps that indicator as it is (so a value the
    extractor would not find on its own, e.g. a domain under an internal TLD, is not lost on
    edit). Everything else goes through the kernel's extract(), one call per run of other
    lines, and a found (type, value) that the event already has keeps that indicator too.
    """
    existing = list(existing)
    by_value: dict[str, list[Indicator]] = {}
    by_key: dict[tuple[str, str], Indicator] = {}
    for ind in existing:
        by_value.setdefault(ind.value, []).append(ind)
        by_key[(ind.type, ind.value)] = ind

    found: list[tuple[str, str]] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            found.extend(extract("\n".join(pending)))
            pending.clear()

    for line in (text or "").splitlines():
        same = by_value.get(line.strip())
        if same:
            flush()
            found.extend((ind.type, ind.value) for ind in same)
        else:
            pending.append(line)
    flush()

    plan = IndicatorPlan()
    seen: set[tuple[str, str]] = set()
    for key in found:
        if key not in seen:
            seen.add(key)
            plan.items.append(PlannedIndicator(key[0], key[1], by_key.get(key)))
    plan.removed = [i for i in existing if (i.type, i.value) not in seen]
    return plan


class IndicatorSearchForm(forms.Form):
    value = forms.CharField(
        label="Value",
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": "exact value; defanged is fine", "size": 40, "autofocus": True}
        ),
    )
    type = forms.CharField(label="Type", required=False, widget=_select(TYPE_CHOICES))
    contains = forms.CharField(
        label="Contains", required=False, widget=forms.TextInput(attrs={"placeholder": "substring"})
    )

    def searched(self) -> bool:
        return any(self.cleaned_data.values())


def apply_event_error(form: EventForm, exc, plan: IndicatorPlan | None) -> None:
    """Like apply_action_error, but names an indicator by its value, not its list index."""
    match = re.match(r"^indicators\[(\d+)\]", exc.field or "")
    if match and plan is not None and int(match.group(1)) < len(plan.items):
        item = plan.items[int(match.group(1))]
        form.add_error("indicators", f"{item.type} {item.value}: {exc.message}")
        return
    apply_action_error(form, exc)
