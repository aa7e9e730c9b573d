"""One federation's worth of content at every audience, and what each member may see of it:
the gate tests of the STIX export and of the TAXII server check their output against this
table, written by hand from the sharing rules (not computed through the gate)."""

from __future__ import annotations

from certfed.audit.log import CLI
from certfed.exchange.models import StixObject
from certfed.exchange.stix.importer import import_stix_bundle
from certfed.intel.ingest import Defaults
from certfed.intel.models import Event, Indicator
from certfed.members.actions import do_set_organisation_status
from tests.exchange import stix_samples

# who sees which events (the suspended SUSP sees nothing and its keys stop working)
VISIBLE = {
    "alpha": {"alpha_org", "alpha_group", "alpha_community", "alpha_strict", "alpha_federation",
              "alpha_public", "alpha_draft", "alpha_stix", "alpha_stix_bundle", "susp_community"},
    "bravo": {"alpha_community", "alpha_strict", "alpha_federation", "alpha_public", "bravo_red",
              "alpha_stix", "alpha_stix_bundle", "susp_community"},
    "gamma": {"alpha_community", "alpha_strict", "alpha_federation", "alpha_public",
              "alpha_stix", "alpha_stix_bundle", "susp_community"},
    "vendor": {"alpha_group", "alpha_federation", "alpha_public"},
    "affil": {"alpha_federation", "alpha_public"},
    "susp": set(),
    None: {"alpha_public"},
}  # fmt: skip
# indicators narrowed to ALPHA alone inside a federation event
NARROWED = {"198.51.100.5", "198.51.100.6"}


def build(fed) -> dict[str, Event]:
    group = str(fed.groups["alpha-vendor"].uuid)
    ev = {
        "alpha_org": fed.event("alpha", tlp="AMBER", distribution="organisation",
                               indicators=["198.51.100.1"]),
        "alpha_group": fed.event("alpha", tlp="AMBER", distribution="sharing_group",
                                 sharing_group=group, indicators=["198.51.100.2", "g.example"]),
        "alpha_community": fed.event("alpha", tlp="GREEN", distribution="community",
                                     tags=["T1566"],
                                     indicators=["198.51.100.3", "CVE-2021-44228"]),
        "alpha_strict": fed.event("alpha", tlp="AMBER+STRICT", distribution="community",
                                  indicators=["strict.example"]),
        "alpha_federation": fed.event("alpha", tlp="GREEN", distribution="federation",
                                      indicators=["198.51.100.4",
                                                  {"value": "198.51.100.5",
                                                   "distribution": "organisation"},
                                                  {"value": "198.51.100.6", "tlp": "RED",
                                                   "distribution": "organisation"}]),
        "alpha_public": fed.event("alpha", tlp="CLEAR", distribution="public",
                                  indicators=["198.51.100.7", "http://public.example/x"]),
        "alpha_draft": fed.event("alpha", tlp="GREEN", distribution="community", published=False,
                                 indicators=["198.51.100.8"]),
        "bravo_red": fed.event("bravo", tlp="RED", distribution="organisation",
                               indicators=["198.51.100.9"]),
        "susp_community": fed.event("susp", tlp="GREEN", distribution="community",
                                    indicators=["198.51.100.10"]),
    }  # fmt: skip
    import_stix_bundle(fed.ctx("alpha"), fed.viewer("alpha"), stix_samples.bundle(),
                       Defaults(tlp="AMBER", distribution="community"))  # fmt: skip
    ev["alpha_stix"] = Event.objects.get(title="Phishing wave against banks")
    ev["alpha_stix_bundle"] = Event.objects.get(title__startswith="STIX bundle")
    do_set_organisation_status(CLI, fed.orgs["SUSP"], "suspended")
    return ev


def expected_ids(events: dict[str, Event], who: str | None) -> set[str]:
    """STIX ids of the reports, indicators and kept objects `who` may see."""
    out = set()
    for key in VISIBLE[who]:
        event = events[key]
        out.add(f"report--{event.uuid}")
        for ind in Indicator.objects.filter(event=event):
            if ind.value in NARROWED and who != "alpha":
                continue
            kind = "vulnerability" if ind.type == "cve" else "indicator"
            out.add(f"{kind}--{ind.uuid}")
        out |= set(StixObject.objects.filter(event=event).values_list("stix_id", flat=True))
    return out


def allowed_identities(events: dict[str, Event], who: str | None) -> set[str]:
    out = {f"identity--{events[k].originator.uuid}" for k in VISIBLE[who]}
    if VISIBLE[who] & {"alpha_stix", "alpha_stix_bundle"}:
        out.add(stix_samples.ACME)
    return out
