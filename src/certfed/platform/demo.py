"""A fictional demo federation, loaded through the real write actions.

Fourteen member organisations of every category, their people, sharing groups and a year and
a half of threat intelligence. Everything goes through the `do_*` actions, so the data is
validated and audited exactly like real input, and the rules the product enforces shape it.

Every organisation, person, bank, threat actor, malware family and app here is invented; mail
domains are under `.example`; indicator domains are made-up names; addresses and hashes come
from a seeded random generator. The CVE ids are real, because analysts expect to see them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
from dataclasses import dataclass, replace

from django.db import transaction
from django.utils import timezone

from certfed.audit.log import CLI, Context
from certfed.intel.actions import do_create_event
from certfed.intel.models import Event, Indicator
from certfed.members.actions import (
    do_create_organisation,
    do_create_user,
    do_set_organisation_status,
)
from certfed.members.models import Organisation, User
from certfed.platform.demo_data import (
    BANKS,
    COUNTRY_NAMES,
    CVES,
    FIRST_OCTETS,
    INFRA_WORDS,
    LABELS,
    PICK,
    SCENARIOS,
    SENDERS,
    SUBDOMAINS,
    TLDS,
    TYPE_COMMENT,
    Scenario,
)
from certfed.sharing.access import viewer_for
from certfed.sharing.actions import do_create_sharing_group
from certfed.sharing.models import SharingGroup

# Published on purpose: every demo account shares it (and it passes the password validators).
DEMO_PASSWORD = "certfed-demo-2026"  # noqa: S105
SENTINEL = "MyCERT"  # the demo is loaded when this organisation exists
EVENT_COUNT = 60
HISTORY_DAYS = 545  # about 18 months


@dataclass
class DemoSummary:
    organisations: int
    users: int
    sharing_groups: int
    events: int
    indicators: int
    logins: list[tuple[str, str]]
    already_loaded: bool

    def describe(self) -> str:
        line = (
            f"Demo federation: {self.organisations:,} organisations, {self.users:,} users, "
            f"{self.sharing_groups:,} sharing groups, {self.events:,} events, "
            f"{self.indicators:,} indicators"
        )
        if self.already_loaded:
            line += "\n(already loaded: nothing was added)"
        return line


# -- who ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    local: str
    role: str
    full_name: str
    flag: str = ""  # secretariat, board or platform_admin


@dataclass(frozen=True)
class _Member:
    short: str
    name: str
    country: str
    category: str
    weight: int  # how often it reports an event
    people: tuple[_Person, ...]
    suspended: bool = False

    def email(self, local: str) -> str:
        return f"{local}@{self.short.lower()}.example"


def _staff(admin: str, analyst: str, viewer: str = "", board: bool = False) -> tuple:
    people = [_Person("admin", "org-admin", admin, "board" if board else "")]
    people.append(_Person("analyst", "analyst", analyst))
    if viewer:
        people.append(_Person("viewer", "viewer", viewer))
    return tuple(people)


MEMBERS: tuple[_Member, ...] = (
    _Member("MyCERT", "MyCERT National Cyber Response Centre", "MY", "full", 6, (
        *_staff("Farah Aziz", "Hakim Salleh", "Mei Ling Tan"),
        _Person("secretariat", "analyst", "Nurul Iman", "secretariat"),
        _Person("platform", "viewer", "Daniel Ong", "platform_admin"),
    )),
    _Member("CERT-NX", "CERT-NX National Incident Exchange", "NG", "full", 5,
            _staff("Adaeze Okafor", "Tunde Bello", "Ifeoma Eze", board=True)),
    _Member("NusaCSIRT", "Nusantara National CSIRT", "ID", "full", 5,
            _staff("Dewi Lestari", "Rizky Pratama", "Sari Wulandari")),
    _Member("AnatoliaCERT", "Anatolia National Cyber Incident Response Centre", "TR", "full", 5,
            _staff("Elif Demir", "Murat Kaya", "Zeynep Aydin", board=True)),
    _Member("GulfCERT", "Gulf Emirates Computer Emergency Response Team", "AE", "full", 4,
            _staff("Mariam Al Suwaidi", "Khalid Al Mansoori", "Omar Haddad")),
    _Member("NileCERT", "Nile Valley National CERT", "EG", "full", 4,
            _staff("Yasmin Farouk", "Karim Mostafa")),
    _Member("IndusCERT", "Indus Government CERT", "PK", "general", 3,
            _staff("Ayesha Qureshi", "Bilal Ahmed")),
    _Member("AtlasCSIRT", "Atlas Ministry of Digital Affairs CSIRT", "MA", "general", 2,
            (_Person("analyst", "analyst", "Youssef Benali"),)),
    _Member("BengalCERT", "Bengal Delta Government CERT", "BD", "general", 2,
            (_Person("analyst", "analyst", "Tanvir Hossain"),)),
    _Member("SteppeCERT", "Steppe Government CERT", "KZ", "general", 0,
            _staff("Aigerim Nurlanova", "Daniyar Seitkali"), suspended=True),
    _Member("LevantFinSIRT", "Levant Banking Sector CSIRT", "JO", "professional", 3,
            _staff("Rania Khoury", "Samer Haddadin")),
    _Member("CampusCSIRT", "Campus CSIRT, Borneo Institute of Technology", "BN", "affiliate", 2,
            (_Person("analyst", "analyst", "Hazwan Jaafar"),)),
    _Member("KestrelTI", "Kestrel Threat Intelligence Ltd", "SA", "commercial", 3,
            _staff("Faisal Al Qahtani", "Lina Al Harbi")),
    _Member("HilalSec", "Hilal Secure Networks A.S.", "TR", "commercial", 2,
            (_Person("analyst", "analyst", "Can Yildiz"),)),
)  # fmt: skip
_BY_SHORT = {m.short: m for m in MEMBERS}

# (owner, name, description, other members)
GROUPS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("LevantFinSIRT", "Financial sector ISAC",
     "Bank CSIRTs and the national CERTs that coordinate financial-sector incidents.",
     ("MyCERT", "NusaCSIRT", "GulfCERT", "AnatoliaCERT", "CERT-NX", "KestrelTI")),
    ("GulfCERT", "Gulf region",
     "National CERTs and vendors around the Gulf: shared infrastructure and campaigns.",
     ("KestrelTI", "LevantFinSIRT", "NileCERT", "IndusCERT")),
    ("CampusCSIRT", "Malware research",
     "Reverse engineers exchanging samples, unpacked configs and C2 findings.",
     ("HilalSec", "KestrelTI", "MyCERT", "AnatoliaCERT", "NusaCSIRT")),
    ("MyCERT", "South-East Asia coordination",
     "Regional coordination of incidents crossing South and South-East Asian networks.",
     ("NusaCSIRT", "CampusCSIRT", "BengalCERT")),
    ("CERT-NX", "Africa and Maghreb",
     "Coordination between the African and Maghreb national CERTs.",
     ("NileCERT", "AtlasCSIRT")),
)  # fmt: skip

LOGINS = (
    "analyst@mycert.example",
    "admin@mycert.example",
    "viewer@mycert.example",
    "analyst@cert-nx.example",
    "admin@cert-nx.example",
    "analyst@levantfinsirt.example",
    "analyst@kestrelti.example",
    "secretariat@mycert.example",
    "platform@mycert.example",
)

# -- what -----------------------------------------------------------------------------------


# -- values ---------------------------------------------------------------------------------


def _ipv4(rng: random.Random) -> str:
    first, second, third = rng.choice(FIRST_OCTETS), rng.randrange(256), rng.randrange(256)
    return f"{first}.{second}.{third}.{rng.randint(1, 254)}"


def _cidr(rng: random.Random) -> str:
    return _ipv4(rng).rsplit(".", 1)[0] + ".0/24"


def _value(rng: random.Random, kind: str, sc: Scenario, d: dict[str, str]) -> str:
    if kind == "ipv4":
        return _ipv4(rng)
    if kind == "ipv6":
        raw = (0x2A0 + rng.randint(1, 9)) << 112 | rng.getrandbits(48) << 64 | rng.getrandbits(16)
        return ipaddress.IPv6Address(raw).compressed
    if kind == "cidr":
        return _cidr(rng)
    if kind in ("md5", "sha1", "sha256"):
        bits = {"md5": 128, "sha1": 160, "sha256": 256}[kind]
        return f"{rng.getrandbits(bits):0{bits // 4}x}"
    if kind == "cve":
        return d["cve"]
    if kind == "email":
        return f"{rng.choice(SENDERS)}@{_domain(rng, sc, d, sub=False)}"
    if kind == "url":
        path = rng.choice(sc.paths.split()).format(
            hex8=f"{rng.getrandbits(32):08x}", hex6=f"{rng.getrandbits(24):06x}",
            word=rng.choice(INFRA_WORDS), slug=d["slug"],
        )  # fmt: skip
        scheme = "http" if sc.victim_sites or rng.random() < 0.2 else "https"
        return f"{scheme}://{_domain(rng, sc, d)}{path}"
    return _domain(rng, sc, d)


def _domain(rng: random.Random, sc: Scenario, d: dict[str, str], sub: bool = True) -> str:
    if sc.victim_sites:
        name = f"{'-'.join(rng.sample(sc.words, 2))}{rng.randint(2, 99)}"
        return f"{name}.{rng.choice(('gov', 'edu', 'com', 'org'))}.{d['cc']}"
    words = rng.sample(sc.words, rng.choice((2, 2, 3)))
    if sc.brand and rng.random() < 0.6:
        words.insert(rng.randrange(len(words) + 1), d["slug"])
    name = rng.choice(("-", "-", "")).join(words)
    if rng.random() < 0.3:
        name += str(rng.randint(1, 99))
    host = f"{name}.{rng.choice(TLDS)}"
    if sub and rng.random() < 0.15:
        host = f"{rng.choice(SUBDOMAINS)}.{host}"
    return host


def _details(rng: random.Random, owner: _Member, day: dt.date) -> dict[str, str]:
    d = {k: rng.choice(v) for k, v in PICK.items()}
    d["bank"], d["slug"] = rng.choice(BANKS)
    d["cve"], d["product"] = rng.choice(CVES)
    d["cc"] = owner.country.lower()
    d["country"] = COUNTRY_NAMES[owner.country]
    d["month"] = day.strftime("%B %Y")
    start = day - dt.timedelta(days=rng.randint(3, 20))
    d["start"] = f"{start.day} {start:%B}"
    d["gbps"] = str(rng.randint(40, 380))
    return d


def _mixed(rng: random.Random, sc: Scenario, d: dict[str, str], count: int) -> list:
    kinds, weights = sc.weights
    return [(kind, _value(rng, kind, sc, d)) for kind in rng.choices(kinds, weights, k=count)]


@dataclass
class _Pools:
    """Values several events share, so correlation has something to find: a campaign's core
    infrastructure reappears in the reports of different members, and a few bulletproof hosts
    serve many campaigns."""

    core: dict[str, list[tuple[str, str]]]
    bulletproof: list[tuple[str, str]]

    @classmethod
    def make(cls, rng: random.Random) -> _Pools:
        core = {}
        for sc in SCENARIOS:
            # Shared by every event of the scenario, so no particular bank's name in it.
            d = _details(rng, MEMBERS[0], dt.date(2026, 1, 1)) | {"slug": "online"}
            core[sc.title] = _mixed(rng, replace(sc, brand=False), d, 40)
        hosting = [("ipv4", _ipv4(rng)) for _ in range(24)]
        hosting += [("cidr", _cidr(rng)) for _ in range(4)]
        return cls(core, hosting)


def _indicators(
    rng: random.Random, sc: Scenario, d: dict[str, str], pools: _Pools, child_labels: bool
) -> list[dict]:
    target = rng.randint(*sc.size)
    picked: list[tuple[str, str]] = []
    if sc.cve:
        picked.append(("cve", d["cve"]))
    core = pools.core[sc.title]
    picked += rng.sample(core, min(len(core), int(target * rng.uniform(0.15, 0.35))))
    if sc.shared_infra:
        picked += rng.sample(pools.bulletproof, rng.randint(2, 6))
    shared = len(picked)
    picked += _mixed(rng, sc, d, max(0, target - shared))
    seen: set[tuple[str, str]] = set()
    items: list[dict] = []
    for i, (kind, value) in enumerate(picked):
        if (kind, value) in seen:
            continue
        seen.add((kind, value))
        item = {
            "type": kind,
            "value": value,
            "comment": sc.comments.get(kind) or TYPE_COMMENT[kind],
            "to_detect": kind != "cve" and not (sc.watch_only and kind in ("ipv4", "ipv6")),
        }
        if (kind, value) in pools.bulletproof:
            item["comment"] = "bulletproof hosting seen in several campaigns"
        if child_labels and i >= shared and i < shared + 3:
            # A few fresh values stay with the reporting CERT until the host is notified.
            item |= {"tlp": "AMBER+STRICT", "distribution": "organisation"}
            item["comment"] += " (not yet reported to the hosting provider)"
        items.append(item)
    return items


# -- the plan -------------------------------------------------------------------------------


@dataclass
class _Planned:
    scenario: Scenario
    owner: _Member
    tlp: str
    pap: str
    distribution: str
    group: str  # sharing group name, or ""
    published: bool
    day: dt.date


def _plan(rng: random.Random, today: dt.date) -> list[_Planned]:
    reporters = [m for m in MEMBERS if m.weight]
    weights = [m.weight for m in reporters]
    turn = dict.fromkeys(LABELS, 0)
    group_turn = 0
    suspended_events = 0
    plan = []
    for i in range(EVENT_COUNT):
        sc = SCENARIOS[i % len(SCENARIOS)]
        combos = LABELS[sc.sensitivity]
        tlp, pap, distribution = combos[turn[sc.sensitivity] % len(combos)]
        turn[sc.sensitivity] += 1
        group = ""
        if distribution == "sharing_group":
            owner_short, name, _, others = GROUPS[group_turn % len(GROUPS)]
            group_turn += 1
            group = name
            owner = _BY_SHORT[rng.choice((owner_short, *others))]
        elif sc.sensitivity == "normal" and suspended_events < 2 and i >= 10:
            # The suspended member reported a little before it was suspended.
            owner = next(m for m in MEMBERS if m.suspended)
            suspended_events += 1
        else:
            owner = rng.choices(reporters, weights)[0]
        day = today - dt.timedelta(days=rng.randint(0, HISTORY_DAYS))
        published = i % 11 != 10  # a few drafts
        plan.append(_Planned(sc, owner, tlp, pap, distribution, group, published, day))
    plan.sort(key=lambda p: p.day)
    return plan


# -- loading --------------------------------------------------------------------------------


def load_demo(seed: int = 2026) -> DemoSummary:
    """Load the demo federation once; later calls load nothing and describe what is there."""
    with transaction.atomic():
        if Organisation.objects.filter(short_name__iexact=SENTINEL).exists():
            return _summary(already_loaded=True)
        _load(random.Random(seed))
        return _summary(already_loaded=False)


def _load(rng: random.Random) -> None:
    orgs: dict[str, Organisation] = {}
    analysts: dict[str, User] = {}
    for m in MEMBERS:
        orgs[m.short] = do_create_organisation(
            CLI, name=m.name, short_name=m.short, country=m.country, category=m.category
        )
        for p in m.people:
            user = do_create_user(
                CLI,
                email=m.email(p.local),
                organisation=orgs[m.short],
                role=p.role,
                password=DEMO_PASSWORD,
                full_name=p.full_name,
                is_secretariat=p.flag == "secretariat",
                is_board=p.flag == "board",
                is_platform_admin=p.flag == "platform_admin",
            )
            if p.role == "analyst" and m.short not in analysts:
                analysts[m.short] = user

    groups: dict[str, SharingGroup] = {}
    for owner, name, description, others in GROUPS:
        creator = analysts[owner]
        groups[name] = do_create_sharing_group(
            Context(user=creator, via="cli"), viewer_for(creator),
            name=name, description=description, members=list(others),
        )  # fmt: skip
    # Viewers are taken after the groups exist, so they carry their memberships.
    viewers = {short: viewer_for(user) for short, user in analysts.items()}

    pools = _Pools.make(rng)
    for p in _plan(rng, timezone.localdate()):
        d = _details(rng, p.owner, p.day)
        child_labels = p.tlp in ("GREEN", "AMBER") and p.distribution != "sharing_group"
        data = {
            "title": p.scenario.title.format_map(d),
            "date": p.day.isoformat(),
            "threat_level": p.scenario.threat,
            "tags": p.scenario.tags.split(),
            "tlp": p.tlp,
            "pap": p.pap,
            "distribution": p.distribution,
            "published": p.published,
            "indicators": _indicators(
                rng, p.scenario, d, pools, child_labels and rng.random() < 0.35
            ),
        }
        d["n"] = f"{len(data['indicators']):,}"
        data["description"] = p.scenario.description.format_map(d)
        if p.group:
            data["sharing_group"] = str(groups[p.group].uuid)
        analyst = analysts[p.owner.short]
        do_create_event(Context(user=analyst, via="cli"), viewers[p.owner.short], data)

    for m in MEMBERS:
        if m.suspended:
            do_set_organisation_status(CLI, orgs[m.short], "suspended")


def _summary(*, already_loaded: bool) -> DemoSummary:
    users = {
        u.email: u for u in User.objects.select_related("organisation").filter(email__in=LOGINS)
    }
    logins = [(email, _login_label(users[email])) for email in LOGINS if email in users]
    return DemoSummary(
        organisations=Organisation.objects.count(),
        users=User.objects.count(),
        sharing_groups=SharingGroup.objects.count(),
        events=Event.objects.count(),
        indicators=Indicator.objects.count(),
        logins=logins,
        already_loaded=already_loaded,
    )


def _login_label(user: User) -> str:
    if user.is_platform_admin:
        what = "platform admin"
    elif user.is_secretariat:
        what = "secretariat"
    elif user.is_board:
        what = f"{user.role}, board member"
    else:
        what = user.role
    org = user.organisation
    return f"{what}, {org.short_name} ({org.country}, {org.category} member)"
