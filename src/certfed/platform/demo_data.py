"""The demo federation's report scenarios and word lists: data only, kept apart from the
loader in demo.py so each file stays readable."""

from __future__ import annotations

from dataclasses import dataclass

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
class Scenario:
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


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
    Scenario(
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
