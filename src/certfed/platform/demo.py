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

COUNTRY_NAMES = {
    "MY": "Malaysia", "NG": "Nigeria", "ID": "Indonesia", "TR": "Türkiye", "AE": "the UAE",
    "EG": "Egypt", "PK": "Pakistan", "MA": "Morocco", "BD": "Bangladesh", "KZ": "Kazakhstan",
    "JO": "Jordan", "BN": "Brunei", "SA": "Saudi Arabia",
}  # fmt: skip
BANKS = (
    ("Bank Serindit", "serindit"), ("Crescent Savings Bank", "crescentsb"),
    ("Nakheel Commercial Bank", "nakheelbank"), ("Delta Union Bank", "deltaunion"),
    ("Anatolian Trade Bank", "anatradebank"), ("Sahel Microfinance", "sahelmf"),
)  # fmt: skip
CVES = (
    ("CVE-2024-3400", "PAN-OS GlobalProtect gateways"),
    ("CVE-2023-4966", "Citrix NetScaler ADC and Gateway"),
    ("CVE-2024-21762", "FortiOS SSL-VPN"),
    ("CVE-2024-21887", "Ivanti Connect Secure"),
    ("CVE-2025-0282", "Ivanti Connect Secure"),
    ("CVE-2025-22457", "Ivanti Connect Secure"),
    ("CVE-2024-55591", "FortiOS and FortiProxy management interfaces"),
    ("CVE-2023-20198", "the Cisco IOS XE web UI"),
    ("CVE-2024-1709", "ConnectWise ScreenConnect"),
    ("CVE-2025-53770", "on-premises SharePoint Server"),
)
PICK = {
    "sector": ("energy", "healthcare", "logistics", "telecommunications", "water utility",
               "port authority", "manufacturing", "higher education"),
    "ministry": ("foreign affairs", "defence", "energy", "finance", "interior"),
    "actor": ("SAND LYNX", "COPPER MONSOON", "GLASS HERON", "PALE ORCHID"),
    "family": ("NightVelvet", "BlackSaffron", "Qirat Locker"),
    "app": ("SecurePay Plus", "Token Guard", "Bayar Cepat"),
    "botnet": ("Hydra-Pi", "Tamarind", "Karkas"),
    "stealer": ("DustStealer", "Mirage Grabber"),
    "service": ("Remote Desktop (3389/tcp)", "SMB (445/tcp)", "Elasticsearch (9200/tcp)",
                "Redis (6379/tcp)", "Telnet (23/tcp)", "VNC (5900/tcp)"),
    "software": ("LedgerPro", "Hisab Accounting Suite", "PayrollEase"),
    "access": ("an unpatched SSL-VPN appliance", "a reused VPN password without MFA",
               "an exposed RDP server", "a phishing e-mail with a malicious OneNote file"),
}  # fmt: skip

# Public-looking first octets: none of 0, 10, 100.64/10, 127, 169.254, 172.16/12, 192.168,
# the documentation ranges, 198.18/15 or multicast can come out of these.
FIRST_OCTETS = tuple(
    int(n)
    for n in (
        "5 23 31 37 45 46 62 77 78 80 82 85 87 89 91 94 95 103 104 109 141 146 151 154 158 162 176 "
        "178 185 188 193 194 195 212 217 "
    ).split()
)
TLDS = tuple("com net org info xyz top ru online site live cc biz shop click icu pw".split())
LURE_WORDS = tuple(
    (
        "secure login verify update account online portal auth session billing support service "
        "customer mobile wallet pay token alert notice center parcel delivery track post "
    ).split()
)
INFRA_WORDS = tuple(
    (
        "cdn mirror cloud sync static api edge node relay stats metrics telemetry files storage "
        "update host gate panel assets dns "
    ).split()
)
VICTIM_WORDS = tuple(
    (
        "taman bakti harapan mandiri sentosa nour amal baraka ilm shifa sahel yildiz dunya "
        "madrasa klinik majlis "
    ).split()
)
SUBDOMAINS = tuple("www m secure login cdn app mail".split())
# Sender mailboxes of the attackers, never of victims.
SENDERS = tuple(
    (
        "noreply support billing security-alert it-helpdesk hr-department invoice accounts "
        "notification conference "
    ).split()
)
TYPE_COMMENT = {
    "ipv4": "attacker infrastructure", "ipv6": "attacker infrastructure",
    "cidr": "netblock used throughout the campaign", "domain": "malicious domain",
    "url": "malicious URL", "email": "sender address", "md5": "sample (MD5)",
    "sha1": "sample (SHA-1)", "sha256": "sample (SHA-256)", "cve": "exploited vulnerability",
}  # fmt: skip


@dataclass(frozen=True)
class _Scenario:
    """One kind of report. Space-separated strings keep the table readable: `tags`, `paths`
    (URL path templates) and `mix` ("type:weight" pairs of the indicator types it carries)."""

    sensitivity: str  # open, normal or sensitive: which label combinations it gets
    threat: str
    title: str
    description: str
    tags: str
    mix: str
    size: tuple[int, int]
    comments: dict[str, str]
    words: tuple[str, ...] = LURE_WORDS
    paths: str = "/"
    watch_only: bool = False  # addresses for monitoring, not blocking
    brand: bool = False  # put the bank's name into fresh domains
    victim_sites: bool = False  # domains are compromised sites under the owner's ccTLD
    shared_infra: bool = False  # draws on the bulletproof hosting pool
    cve: bool = False

    @property
    def weights(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        pairs = [p.split(":") for p in self.mix.split()]
        return tuple(k for k, _ in pairs), tuple(int(w) for _, w in pairs)


SCENARIOS: tuple[_Scenario, ...] = (
    _Scenario(
        sensitivity="normal",
        threat="high",
        title="Phishing wave impersonating {bank} internet banking",
        description="Since {start}, SMS and e-mail lures have directed customers of {bank} to "
        "cloned internet-banking pages on freshly registered look-alike domains. The kit relays "
        "credentials and one-time passwords to the operators in real time, who log in within "
        "minutes. {n} indicators: landing pages, their domains and the small set of "
        "bulletproof hosts behind them. Takedown requests have been sent to the registrars; "
        "banks should watch for logins from the listed addresses.",
        tags="T1566.002 T1598.003 T1583.001 T1056.003 rsit:fraud/phishing sector:finance",
        mix="url:45 domain:30 ipv4:20 email:5",
        size=(60, 260),
        paths="/ib/login.php /{slug}/signin/ /auth/verify?session={hex8} "
        "/secure/{hex8}/index.html /ib/otp.php /{slug}/update-details/",
        comments={
            "url": "credential-harvesting page",
            "domain": "look-alike domain",
            "ipv4": "hosting the phishing kit",
        },
        brand=True,
        shared_infra=True,
    ),
    _Scenario(
        sensitivity="sensitive",
        threat="high",
        title="{family} ransomware intrusion in the {sector} sector",
        description="Incident response at a {sector}-sector organisation in {country}, "
        "attributed to {family} affiliates. Initial access was through {access}; the actors "
        "staged a commercial post-exploitation framework, dumped LSASS, deleted volume shadow "
        "copies and exfiltrated data with rclone before encrypting the virtualisation hosts. "
        "{n} indicators: loader and encryptor hashes, C2 and exfiltration endpoints. Hunt for "
        "the hashes and the C2 addresses in logs going back 60 days.",
        tags="T1133 T1078 T1059.001 T1003.001 T1490 T1486 T1567.002 "
        "rsit:malicious-code/infected-system ransomware",
        mix="sha256:35 md5:10 sha1:10 ipv4:30 domain:15",
        size=(25, 110),
        comments={"ipv4": "C2 / exfiltration endpoint", "sha256": "loader or encryptor"},
        words=INFRA_WORDS,
    ),
    _Scenario(
        sensitivity="open",
        threat="medium",
        title="DDoS campaign against government portals ({month})",
        description="Hacktivist-claimed volumetric and HTTP-flood attacks against ministry and "
        "e-government portals in {country}. The peak reached {gbps} Gbps of UDP and DNS "
        "amplification, followed by application-layer floods through residential proxies. The "
        "{n} most active sources are listed; many are compromised home routers whose addresses "
        "get reassigned, so use them for monitoring and rate limiting, not permanent blocking.",
        tags="T1498.001 T1498.002 T1499.002 rsit:availability/ddos hacktivism",
        mix="ipv4:85 ipv6:10 cidr:5",
        size=(120, 320),
        comments={"ipv4": "attacking source", "ipv6": "attacking source"},
        watch_only=True,
    ),
    _Scenario(
        sensitivity="normal",
        threat="high",
        title="Active exploitation of {cve} in {product}",
        description="Exploitation of {cve} in {product} is hitting member networks. Successful "
        "attempts dropped web shells and created local administrator accounts; several "
        "appliances were compromised again after patching because sessions and credentials "
        "were not reset. {n} indicators: exploitation sources, web-shell hashes and "
        "post-exploitation C2. Patch, run the vendor's integrity checker, then reset "
        "credentials and sessions.",
        tags="T1190 T1133 T1505.003 T1078 rsit:intrusion-attempts/exploit "
        "rsit:vulnerable/vulnerable-system",
        mix="ipv4:60 sha256:15 url:10 domain:15",
        size=(40, 180),
        comments={"ipv4": "exploitation source", "sha256": "web shell"},
        words=INFRA_WORDS,
        paths="/dana-na/{hex8}.cgi /global-protect/{hex8}.css /remote/{hex8} /{word}/shell.aspx",
        cve=True,
    ),
    _Scenario(
        sensitivity="sensitive",
        threat="high",
        title="{actor} spear-phishing against {ministry} ministries",
        description="A long-running espionage intrusion set we track as {actor} sent tailored "
        "lures (conference invitations, budget circulars) to staff of {ministry} ministries. "
        "The attachments are password-protected archives whose LNK file side-loads a DLL "
        "implant that beacons over HTTPS to actor-controlled domains. {n} indicators. The actor "
        "watches public sandboxes: do not upload the samples, and do not contact the "
        "infrastructure.",
        tags="T1566.001 T1204.002 T1574.002 T1071.001 T1547.001 "
        "rsit:intrusions/system-compromise apt espionage",
        mix="domain:25 sha256:30 md5:10 email:10 url:10 ipv4:15",
        size=(20, 80),
        comments={
            "email": "lure sender",
            "sha256": "implant or lure archive",
            "domain": "implant C2",
        },
        words=INFRA_WORDS,
        paths="/api/v2/{hex8} /static/js/{hex8}.js /news/{word}.php",
    ),
    _Scenario(
        sensitivity="open",
        threat="low",
        title="Mass defacement of .{cc} websites ({month})",
        description="A defacement crew replaced the home pages of municipal, school and "
        "small-business websites in {country}, almost all running outdated CMS plugins. {n} "
        "indicators: the defaced pages and the crew's staging servers. Site owners have been "
        "notified where a contact was known; restore from a clean backup and update the CMS "
        "before going online again.",
        tags="T1491.002 T1190 "
        "rsit:information-content-security/unauthorised-information-modification hacktivism",
        mix="url:75 ipv4:25",
        size=(30, 140),
        comments={"url": "defaced page", "ipv4": "staging server of the crew"},
        words=VICTIM_WORDS,
        paths="/ /index.html /images/{hex6}.html /wp-content/uploads/{hex6}.htm",
        victim_sites=True,
    ),
    _Scenario(
        sensitivity="normal",
        threat="high",
        title="Malicious Android app '{app}' impersonating {bank}",
        description="An Android banking trojan distributed as an APK through SMS links and "
        "fake app-store pages poses as the {bank} app ('{app}'). It abuses accessibility "
        "services, intercepts SMS one-time passwords and draws overlays over the real banking "
        "app. {n} indicators: APK hashes, distribution URLs and C2 endpoints.",
        tags="T1660 T1417.002 T1636.004 T1437.001 rsit:malicious-code/malware-distribution "
        "platform:android",
        mix="sha256:40 url:25 domain:20 ipv4:15",
        size=(20, 100),
        comments={"sha256": "APK", "url": "APK download"},
        paths="/apk/{slug}-{hex6}.apk /download/{slug}.apk /app/{hex8}",
        brand=True,
        shared_infra=True,
    ),
    _Scenario(
        sensitivity="normal",
        threat="medium",
        title="{botnet} botnet recruiting routers and IP cameras",
        description="Telnet and SSH brute forcing plus exploits for old router firmware "
        "recruit devices into the {botnet} botnet, rented out for DDoS. {n} indicators: "
        "infected devices seen scanning from member constituencies (for notification to "
        "network owners), then the loader and C2 servers.",
        tags="T1110.001 T1190 T1498 rsit:malicious-code/infected-system "
        "rsit:malicious-code/c2-server",
        mix="ipv4:88 url:4 sha256:8",
        size=(160, 380),
        comments={"ipv4": "infected device", "url": "loader", "sha256": "bot binary"},
        words=INFRA_WORDS,
        paths="/bins/{word}.arm7 /bins/{word}.mips /t.sh",
        watch_only=True,
    ),
    _Scenario(
        sensitivity="normal",
        threat="medium",
        title="{stealer} infostealer spread through cracked-software sites",
        description="Search-engine-optimised sites offering cracked software serve "
        "password-protected archives containing the {stealer} infostealer. It takes browser "
        "passwords, session cookies and crypto wallets and uploads them to its panel. {n} "
        "indicators. Stolen session cookies bypass MFA: revoke the sessions of any affected "
        "user, not just the password.",
        tags="T1189 T1204.002 T1555.003 T1539 T1041 rsit:malicious-code/malware-distribution",
        mix="url:25 domain:25 sha256:30 ipv4:20",
        size=(30, 140),
        comments={"url": "download page", "sha256": "stealer sample"},
        words=INFRA_WORDS,
        paths="/download/{word}-crack.zip /files/{hex8}.rar /gate.php /api/upload/{hex8}",
        shared_infra=True,
    ),
    _Scenario(
        sensitivity="normal",
        threat="medium",
        title="Business e-mail compromise targeting suppliers in the {sector} sector",
        description="Fraudsters took over supplier mailboxes, set hidden forwarding rules and "
        "sent invoices with changed bank details to their customers in the {sector} sector. "
        "The look-alike domains differ from the real suppliers' by one letter. {n} indicators: "
        "sender addresses, look-alike domains and the addresses used to log in to the "
        "compromised mailboxes.",
        tags="T1566.002 T1114.003 T1534 T1656 rsit:fraud/masquerade",
        mix="email:40 domain:35 ipv4:25",
        size=(15, 60),
        comments={"ipv4": "mailbox login source", "domain": "look-alike domain"},
        shared_infra=True,
    ),
    _Scenario(
        sensitivity="open",
        threat="low",
        title="Mass scanning for exposed {service} services",
        description="Sustained scanning for {service} across the federation's address space, "
        "seen by member sensors. {n} sources. Most are research scanners or compromised hosts; "
        "none is worth blocking by itself, but an exposed service that answers them should be "
        "closed.",
        tags="T1595.002 T1046 rsit:information-gathering/scanner",
        mix="ipv4:80 cidr:10 ipv6:10",
        size=(80, 260),
        comments={"ipv4": "scanning source", "cidr": "scanning netblock"},
        watch_only=True,
    ),
    _Scenario(
        sensitivity="open",
        threat="medium",
        title="Parcel-delivery smishing wave ({month})",
        description="SMS messages claiming an undelivered parcel or an unpaid customs fee lead "
        "to card-harvesting pages styled as the national postal service. The domains rotate "
        "daily and are registered in bulk. {n} indicators; the list is safe to publish so that "
        "browsers and carriers can block it.",
        tags="T1660 T1566.002 T1583.001 rsit:fraud/phishing",
        mix="domain:50 url:50",
        size=(50, 220),
        comments={"domain": "smishing domain", "url": "card-harvesting page"},
        paths="/track/{hex8} /customs-fee/pay /redelivery?id={hex8}",
    ),
    _Scenario(
        sensitivity="normal",
        threat="low",
        title="Cryptojacking on exposed Kubernetes and Docker APIs",
        description="Unauthenticated Docker and kubelet APIs are being used to deploy mining "
        "containers that kill competing miners and persist through cron. {n} indicators: the "
        "source addresses, payload hashes, download URLs and mining pools.",
        tags="T1610 T1496 T1053.003 rsit:fraud/unauthorised-use-of-resources",
        mix="ipv4:40 sha256:30 url:15 domain:15",
        size=(20, 80),
        comments={"domain": "mining pool", "sha256": "miner payload"},
        words=INFRA_WORDS,
        paths="/k8s/{word}.sh /xm/{hex6} /init.sh",
    ),
    _Scenario(
        sensitivity="sensitive",
        threat="high",
        title="Trojanised update of the {software} accounting package",
        description="The update server of {software}, an accounting package popular with SMEs "
        "and local government, delivered a signed but trojanised build for about two weeks. "
        "The implant profiles the host and fetches a second stage only for selected victims. "
        "{n} indicators. Do not contact the vendor's customers directly: the vendor "
        "coordinates notification through the reporting CERT.",
        tags="T1195.002 T1553.002 T1071.001 rsit:intrusions/system-compromise",
        mix="sha256:40 sha1:15 domain:20 ipv4:15 url:10",
        size=(20, 70),
        comments={"sha256": "trojanised build or second stage"},
        words=INFRA_WORDS,
        paths="/update/{hex8}.bin /check?v={hex6}",
    ),
    _Scenario(
        sensitivity="open",
        threat="low",
        title="RDP and SSH brute-force sources, weekly digest ({month})",
        description="Addresses that tried at least 500 RDP or SSH logins against member sensors "
        "in one week. {n} sources. Useful for rate limiting and for confirming that remote "
        "access is behind MFA; an address here is not evidence that a login succeeded.",
        tags="T1110.001 T1110.003 T1021.001 T1021.004 rsit:intrusion-attempts/brute-force",
        mix="ipv4:95 cidr:5",
        size=(100, 280),
        comments={"ipv4": "brute-force source"},
        watch_only=True,
    ),
    _Scenario(
        sensitivity="normal",
        threat="medium",
        title="Credential phishing against government webmail",
        description="Lures about mailbox quota and password expiry lead government staff to "
        "fake webmail logins; captured accounts were then used to send the same lure to other "
        "agencies. {n} indicators. Reset the passwords of anyone who entered credentials and "
        "review their mailbox rules.",
        tags="T1566.002 T1078 T1114.002 T1534 rsit:fraud/phishing",
        mix="url:40 domain:30 ipv4:20 email:10",
        size=(25, 120),
        comments={"url": "fake webmail login"},
        paths="/owa/auth/{hex8}/ /webmail/index.php /roundcube/?_task={hex6}",
        shared_infra=True,
    ),
    _Scenario(
        sensitivity="sensitive",
        threat="high",
        title="Command-and-control infrastructure of {actor}",
        description="Servers and domains we attribute with high confidence to {actor}, found by "
        "pivoting on TLS certificates and registration patterns. {n} indicators, several not "
        "yet used in known operations. Block and alert on them; do not scan or probe them.",
        tags="T1583.003 T1583.001 T1071.001 T1573.002 apt",
        mix="ipv4:40 domain:30 ipv6:5 cidr:5 sha256:20",
        size=(30, 90),
        comments={"ipv4": "C2 server", "domain": "C2 domain"},
        words=INFRA_WORDS,
    ),
)

# Label combinations per sensitivity; cycling through them puts every TLP and every
# distribution into the demo whatever the seed.
LABELS = {
    "open": (("CLEAR", "CLEAR", "public"), ("CLEAR", "GREEN", "federation"),
             ("GREEN", "GREEN", "community"), ("CLEAR", "CLEAR", "public"),
             ("GREEN", "CLEAR", "federation")),
    "normal": (("AMBER", "AMBER", "community"), ("GREEN", "GREEN", "federation"),
               ("AMBER", "GREEN", "sharing_group"), ("AMBER", "AMBER", "federation"),
               ("GREEN", "AMBER", "community")),
    "sensitive": (("AMBER+STRICT", "AMBER", "organisation"), ("RED", "RED", "sharing_group"),
                  ("AMBER+STRICT", "RED", "sharing_group"), ("RED", "RED", "organisation"),
                  ("AMBER", "AMBER", "sharing_group")),
}  # fmt: skip


# -- values ---------------------------------------------------------------------------------


def _ipv4(rng: random.Random) -> str:
    first, second, third = rng.choice(FIRST_OCTETS), rng.randrange(256), rng.randrange(256)
    return f"{first}.{second}.{third}.{rng.randint(1, 254)}"


def _cidr(rng: random.Random) -> str:
    return _ipv4(rng).rsplit(".", 1)[0] + ".0/24"


def _value(rng: random.Random, kind: str, sc: _Scenario, d: dict[str, str]) -> str:
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


def _domain(rng: random.Random, sc: _Scenario, d: dict[str, str], sub: bool = True) -> str:
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


def _mixed(rng: random.Random, sc: _Scenario, d: dict[str, str], count: int) -> list:
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
    rng: random.Random, sc: _Scenario, d: dict[str, str], pools: _Pools, child_labels: bool
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
    scenario: _Scenario
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
