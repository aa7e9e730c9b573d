"""The pure-Python indicator kernel: validation, canonical forms, refanging, detection
and free-text extraction. No Django, no database."""

from __future__ import annotations

import ipaddress
import pickle
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certfed.kernel.indicators import (
    TYPES,
    InvalidIndicator,
    detect_type,
    extract,
    normalise,
    normalise_any,
    refang,
)

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# --- registry ---------------------------------------------------------------


def test_types_registry_has_exactly_the_documented_types():
    assert set(TYPES) == {
        "ipv4",
        "ipv6",
        "cidr",
        "domain",
        "url",
        "email",
        "md5",
        "sha1",
        "sha256",
        "cve",
    }
    for name, indicator_type in TYPES.items():
        assert indicator_type.name == name
        assert name in indicator_type.noun


def test_kernel_imports_no_django():
    code = (
        "import sys, certfed.kernel.indicators as k; k.extract('x hxxp://a[.]com'); "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- valid values -> canonical form -----------------------------------------

VALID = [
    ("ipv4", "1.2.3.4", "1.2.3.4"),
    ("ipv4", "  10.0.0.1\n", "10.0.0.1"),
    ("ipv4", "1.2.3[.]4", "1.2.3.4"),
    ("ipv4", "127.0.0.1", "127.0.0.1"),
    ("ipv4", "255.255.255.255", "255.255.255.255"),
    ("ipv6", "2001:DB8::1", "2001:db8::1"),
    ("ipv6", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    ("ipv6", "[2001:db8::1]", "2001:db8::1"),
    ("ipv6", "::1", "::1"),
    ("ipv6", "FE80::1%eth0", "fe80::1%eth0"),
    ("cidr", "10.1.2.3/8", "10.0.0.0/8"),
    ("cidr", "192.168.1.0/24", "192.168.1.0/24"),
    ("cidr", "1.2.3.4/32", "1.2.3.4/32"),
    ("cidr", "0.0.0.0/0", "0.0.0.0/0"),
    ("cidr", "45.9.148[.]7/22", "45.9.148.0/22"),
    ("cidr", "2001:DB8::1/32", "2001:db8::/32"),
    ("cidr", "[2001:db8::]/48", "2001:db8::/48"),
    ("domain", "Example.COM.", "example.com"),
    ("domain", "evil[.]example[.]com", "evil.example.com"),
    ("domain", "evil(dot)example{.}com", "evil.example.com"),
    ("domain", "bücher.de", "xn--bcher-kva.de"),
    ("domain", "ПРИМЕР.рф", "xn--e1afmkfd.xn--p1ai"),
    ("domain", "xn--80ak6aa92e.com", "xn--80ak6aa92e.com"),
    ("domain", "pay_load.bad-site.ru", "pay_load.bad-site.ru"),
    ("domain", "_dmarc.example.org", "_dmarc.example.org"),
    ("domain", "report.pdf", "report.pdf"),  # syntactically fine; only extract() asks the PSL
    ("domain", "a" * 63 + ".com", "a" * 63 + ".com"),
    ("domain", "1.2.3.4.nip.io", "1.2.3.4.nip.io"),
    ("url", "hxxp://evil[.]com/a", "http://evil.com/a"),
    ("url", "hxxps[://]x[.]org", "https://x.org"),
    ("url", "fxp://files[.]evil[.]com/x", "ftp://files.evil.com/x"),
    ("url", "HTTPS://Evil.COM./Path?Q=A#Frag", "https://evil.com/Path?Q=A#Frag"),
    ("url", "http://user:Pw@Evil.com:8080/x%20y", "http://user:Pw@evil.com:8080/x%20y"),
    ("url", "http://[2001:DB8::1]:8443/", "http://[2001:db8::1]:8443/"),
    ("url", "ftp://1.2.3.4/file.bin", "ftp://1.2.3.4/file.bin"),
    ("url", "wss://evil.com/socket", "wss://evil.com/socket"),
    ("url", "http://bücher.de/ü", "http://xn--bcher-kva.de/ü"),
    ("email", "User[@]Evil[.]Com", "user@evil.com"),
    ("email", "First.Last+tag@Sub.Example.org", "first.last+tag@sub.example.org"),
    ("email", "billing(at)bad-site(dot)ru", "billing@bad-site.ru"),
    ("md5", MD5.upper(), MD5),
    ("sha1", SHA1.upper(), SHA1),
    ("sha256", SHA256.upper(), SHA256),
    ("sha256", f"  {SHA256}\t", SHA256),
    ("cve", "cve-2024-3400", "CVE-2024-3400"),
    ("cve", "CVE-2021-44228", "CVE-2021-44228"),
    ("cve", "Cve-2024-123456", "CVE-2024-123456"),
]


@pytest.mark.parametrize(("type_name", "value", "expected"), VALID)
def test_normalise_valid(type_name, value, expected):
    assert normalise(type_name, value) == expected
    # The canonical form is a fixed point.
    assert normalise(type_name, expected) == expected


# --- invalid values -> InvalidIndicator with a specific reason --------------

INVALID = [
    ("ipv4", "1.2.3.999", "octet 999 is out of range"),
    ("ipv4", "01.2.3.4", "leading zero"),
    ("ipv4", "1.2.3", "4 dot-separated octets"),
    ("ipv4", "1.2.3.4.5", "4 dot-separated octets"),
    ("ipv4", "1.2.3.x", "not a decimal number"),
    ("ipv4", "", "empty"),
    ("ipv6", "2001:db8::1::2", "'::'"),
    ("ipv6", "gggg::1", "hex"),
    ("ipv6", "1.2.3.4", "no ':'"),
    ("ipv6", "1:2:3", "8 parts"),
    ("cidr", "10.0.0.0", "prefix-length"),
    ("cidr", "10.0.0.0/33", "prefix length 33 is out of range (0-32)"),
    ("cidr", "2001:db8::/129", "out of range (0-128)"),
    ("cidr", "10.0.0.0/abc", "not a number"),
    ("cidr", "10.0.0.0/255.0.0.0", "not a number"),
    ("cidr", "10.0.0.999/8", "octet 999"),
    ("domain", "localhost", "two labels"),
    ("domain", "1.2.3.4", "all-numeric"),
    ("domain", "-evil.com", "hyphen"),
    ("domain", "evil-.com", "hyphen"),
    ("domain", "evil..com", "empty label"),
    ("domain", "ev il.com", "' '"),
    ("domain", "ev!l.com", "'!'"),
    ("domain", "a" * 64 + ".com", "longer than 63"),
    ("domain", ("a" * 60 + ".") * 5 + "com", "longer than 253"),
    ("domain", "evil.c_m", "'_'"),
    ("domain", "xn--zz.com", "IDNA"),
    ("domain", "", "empty"),
    ("url", "example.com/path", "has no scheme"),
    ("url", "evil.com", "has no scheme"),
    ("url", "javascript://alert(1)", "scheme 'javascript'"),
    ("url", "http://", "no host"),
    ("url", "http:///path", "no host"),
    ("url", "http://evil..com/", "empty label"),
    ("url", "http://1.2.3.999/", "octet 999"),
    ("url", "http://evil.com:99999/", "port 99999"),
    ("url", "http://evil.com:http/", "invalid port"),
    ("url", "http://evil.com/a b", "whitespace"),
    ("url", "http://[2001:db8::1/x", "unclosed '['"),
    ("email", "user.evil.com", "exactly one '@'"),
    ("email", "a@b@c.com", "exactly one '@'"),
    ("email", "@evil.com", "local part"),
    ("email", "x" * 65 + "@evil.com", "longer than 64"),
    ("email", "user@localhost", "domain part"),
    ("email", "user@1.2.3.4", "all-numeric"),
    ("md5", MD5[:-1], "31 hex digits, expected 32"),
    ("md5", "z" + MD5[1:], "non-hex character 'z'"),
    ("sha1", MD5, "expected 40"),
    ("sha256", SHA1, "expected 64"),
    ("cve", "CVE-2024-123", "CVE-YYYY-NNNN"),
    ("cve", "CVE-24-1234", "CVE-YYYY-NNNN"),
    ("cve", "2024-3400", "CVE-YYYY-NNNN"),
    ("cve", "CVE-1998-1234", "1999"),
]


@pytest.mark.parametrize(("type_name", "value", "reason"), INVALID)
def test_normalise_invalid(type_name, value, reason):
    with pytest.raises(InvalidIndicator) as info:
        normalise(type_name, value)
    exc = info.value
    assert exc.type == type_name
    assert exc.value == value  # as the caller wrote it, not refanged
    assert reason in exc.reason
    message = str(exc)
    assert "\n" not in message
    assert value[:50] in message
    assert f"not a valid {type_name}" in message
    assert isinstance(exc, ValueError)


def test_error_message_is_one_clear_line():
    with pytest.raises(InvalidIndicator) as info:
        normalise("ipv4", "1.2.3.999")
    assert str(info.value) == "'1.2.3.999' is not a valid ipv4 address: octet 999 is out of range"


def test_error_message_quotes_the_value_as_written():
    with pytest.raises(InvalidIndicator) as info:
        normalise("ipv4", "1.2.3[.]999")
    assert str(info.value).startswith("'1.2.3[.]999' is not a valid ipv4 address")


def test_error_message_truncates_huge_values():
    with pytest.raises(InvalidIndicator) as info:
        normalise("domain", "x" * 100_000)
    assert len(str(info.value)) < 300
    assert info.value.value == "x" * 100_000


def test_unknown_type():
    with pytest.raises(InvalidIndicator) as info:
        normalise("zz", "1.2.3.4")
    assert info.value.type is None
    assert info.value.value == "zz"
    assert str(info.value) == (
        "'zz' is not a known indicator type "
        "(known: cidr, cve, domain, email, ipv4, ipv6, md5, sha1, sha256, url)"
    )


def test_type_names_are_case_insensitive():
    assert normalise("IPv4", "1.2.3.4") == "1.2.3.4"
    assert normalise_any("1.2.3.4", " IPV4 ") == ("ipv4", "1.2.3.4")


def test_non_string_value_is_a_type_error():
    with pytest.raises(TypeError):
        normalise("ipv4", 16909060)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        extract(b"1.2.3.4")  # type: ignore[arg-type]


def test_invalid_indicator_pickles():
    exc = InvalidIndicator("ipv4", "1.2.3.999", "octet 999 is out of range")
    clone = pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, round-tripped
    assert (clone.type, clone.value, clone.reason, str(clone)) == (
        exc.type,
        exc.value,
        exc.reason,
        str(exc),
    )


# --- refang -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("defanged", "expected"),
    [
        ("hxxp://evil[.]com/a", "http://evil.com/a"),
        ("1.2.3[.]4", "1.2.3.4"),
        ("user[@]evil[.]com", "user@evil.com"),
        ("hxxps[://]x[.]org", "https://x.org"),
        ("HXXPS://a(.)b{.}c[DOT]d(Dot)e", "https://a.b.c.d.e"),
        ("fxp://x[.]y", "ftp://x.y"),
        ("hXXp[:]//x[/]y", "http://x/y"),
        ("a[at]b(AT)c", "a@b@c"),
        ("see hxxp://a[.]b and hxxps://c[.]d.", "see http://a.b and https://c.d."),
    ],
)
def test_refang(defanged, expected):
    assert refang(defanged) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The hxxp scheme is a defanging convention.",
        "See [1], item (a), the set {x}, and a [link](here).",
        "Meet at noon; cost: $5 (approx.) [sic]",
        "hxxpd://not-a-scheme and xhxxp://neither",
        "",
    ],
)
def test_refang_leaves_ordinary_text_alone(text):
    assert refang(text) == text


# --- detect_type / normalise_any --------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://evil.com/x", "url"),
        ("hxxp://evil[.]com", "url"),
        ("evil.com/x", "url"),
        ("10.0.0.0/8", "cidr"),
        ("2001:db8::/32", "cidr"),
        ("1.2.3.4", "ipv4"),
        ("1.2.3[.]4", "ipv4"),
        ("1.2.3.999", "ipv4"),
        ("::1", "ipv6"),
        ("[2001:db8::1]", "ipv6"),
        ("::ffff:1.2.3.4", "ipv6"),
        ("evil.com", "domain"),
        ("evil[.]com", "domain"),
        ("user@evil.com", "email"),
        ("user[@]evil[.]com", "email"),
        ("CVE-2024-3400", "cve"),
        ("cve-2024-12", "cve"),
        (MD5, "md5"),
        (SHA1.upper(), "sha1"),
        (SHA256, "sha256"),
        ("  evil.com\n", "domain"),
        ("foo", None),
        ("", None),
        ("hello world.com", None),
        (MD5 + "0", None),
        ("12:30", None),
    ],
)
def test_detect_type(value, expected):
    assert detect_type(value) == expected


def test_normalise_any_detects_and_normalises():
    assert normalise_any("hxxp://Evil[.]com/a") == ("url", "http://evil.com/a")
    assert normalise_any("EVIL.com") == ("domain", "evil.com")
    assert normalise_any(MD5.upper()) == ("md5", MD5)
    assert normalise_any("10.1.2.3/8") == ("cidr", "10.0.0.0/8")


def test_normalise_any_with_explicit_type():
    assert normalise_any("EVIL.com", "domain") == ("domain", "evil.com")
    with pytest.raises(InvalidIndicator) as info:
        normalise_any("evil.com", "ipv4")
    assert info.value.type == "ipv4"


def test_normalise_any_unrecognised():
    with pytest.raises(InvalidIndicator) as info:
        normalise_any("foo")
    assert info.value.type is None
    assert str(info.value) == "'foo' is not a recognised indicator value"


def test_normalise_any_gives_the_specific_reason_for_a_typo():
    with pytest.raises(InvalidIndicator) as info:
        normalise_any("1.2.3.999")
    assert info.value.type == "ipv4"
    assert "octet 999 is out of range" in str(info.value)
    with pytest.raises(InvalidIndicator, match="has no scheme"):
        normalise_any("example.com/path")


# --- extract ----------------------------------------------------------------

ADVISORY = """\
TLP:AMBER. Threat actors exploited CVE-2024-3400 (and cve-2023-4966) against edge devices.
Initial access came from phishing mail sent by billing[@]bad-site[.]ru with the attachment
"invoice.pdf.exe" (SHA256: 3F79BB7B435B05321651DAEFD374CDC681DC06FAA65E374E38337B88CA046DEA,
MD5 d41d8cd98f00b204e9800998ecf8427e). The payload beacons to hxxps://update.evil-cdn[.]com/gate.php?id=7,
then to 185.220.101[.]47:443 and 2001:db8:dead:beef::1. Block 45.9.148.0/22 and the domains
evil.example.com, xn--80ak6aa92e.com and pay_load.bad-site[.]ru. See report.pdf and notes.txt.
Fallback C2: (hxxp://198.51.100[.]7/x). Sample: https://www.virustotal.com/gui/file/\
275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f.
Contact soc@cert.example.org. Version 1.2.3.4.5 is unaffected.
MD5 again: D41D8CD98F00B204E9800998ECF8427E.
"""


def test_extract_realistic_advisory():
    assert extract(ADVISORY) == [
        ("cve", "CVE-2024-3400"),
        ("cve", "CVE-2023-4966"),
        ("email", "billing@bad-site.ru"),
        ("sha256", "3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea"),
        ("md5", MD5),
        ("url", "https://update.evil-cdn.com/gate.php?id=7"),
        ("ipv4", "185.220.101.47"),
        ("ipv6", "2001:db8:dead:beef::1"),
        ("cidr", "45.9.148.0/22"),
        ("domain", "evil.example.com"),
        ("domain", "xn--80ak6aa92e.com"),
        ("domain", "pay_load.bad-site.ru"),
        ("url", "http://198.51.100.7/x"),
        (
            "url",
            "https://www.virustotal.com/gui/file/"
            "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
        ),
        ("sha256", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"),
        ("email", "soc@cert.example.org"),
    ]


def test_extract_url_host_is_not_reported_separately():
    assert extract("beacon: hxxp://evil[.]com/a") == [("url", "http://evil.com/a")]
    assert extract("beacon: http://1.2.3.4:8080/x") == [("url", "http://1.2.3.4:8080/x")]
    assert extract("beacon: http://[2001:db8::1]/x") == [("url", "http://[2001:db8::1]/x")]


def test_extract_domain_mentioned_on_its_own_is_still_reported():
    assert extract("evil.com serves http://evil.com/x") == [
        ("domain", "evil.com"),
        ("url", "http://evil.com/x"),
    ]


def test_extract_email_domain_is_not_reported_separately():
    assert extract("from user[@]evil[.]com") == [("email", "user@evil.com")]


def test_extract_cidr_address_is_not_an_ipv4():
    assert extract("block 10.1.2.3/8 and 2001:db8::/32") == [
        ("cidr", "10.0.0.0/8"),
        ("cidr", "2001:db8::/32"),
    ]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("(see http://evil.com/a).", "http://evil.com/a"),
        ("'http://evil.com/a', next", "http://evil.com/a"),
        ('"http://evil.com/a"', "http://evil.com/a"),
        ("<http://evil.com/a>", "http://evil.com/a"),
        ("[http://evil.com/a]", "http://evil.com/a"),
        ("visit http://evil.com/a?, then", "http://evil.com/a"),
        ("see https://en.wikipedia.org/wiki/Foo_(bar).", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("at http://[2001:db8::1].", "http://[2001:db8::1]"),
    ],
)
def test_extract_strips_trailing_punctuation_from_urls(text, url):
    assert extract(text) == [("url", url)]


def test_extract_ignores_filenames_but_keeps_real_domains():
    assert extract("Open report.pdf, invoice.exe, invoice.pdf.exe or file.txt.") == []
    assert extract("evil.example.com, bad-site.ru and xn--80ak6aa92e.com.") == [
        ("domain", "evil.example.com"),
        ("domain", "bad-site.ru"),
        ("domain", "xn--80ak6aa92e.com"),
    ]


def test_extract_internationalised_domain_comes_out_as_punycode():
    assert extract("Hosted on пример.рф today.") == [("domain", "xn--e1afmkfd.xn--p1ai")]


def test_extract_hashes_are_whole_hex_tokens_only():
    assert extract(f"md5={MD5} sha1:{SHA1} sha256 {SHA256}") == [
        ("md5", MD5),
        ("sha1", SHA1),
        ("sha256", SHA256),
    ]
    assert extract(MD5 + "0") == []  # 33 hex digits
    assert extract(SHA256 + "ab") == []  # 66 hex digits
    assert extract("x" + MD5) == []  # part of a word
    assert extract(MD5 + "-1") == []  # part of a dashed identifier


def test_extract_dedupes_in_order_of_first_appearance():
    text = f"b.com a.com {MD5} B.COM {MD5.upper()} a[.]com"
    assert extract(text) == [("domain", "b.com"), ("domain", "a.com"), ("md5", MD5)]


def test_extract_skips_invalid_candidates_silently():
    assert extract("1.2.3.999 CVE-1990-1234 http://evil..com/ user@localhost 1.2.3.4.5") == []


def test_extract_nothing():
    assert extract("") == []
    assert extract("Nothing to see here. Really, nothing at all!") == []


def test_extract_is_fast_on_a_megabyte():
    text = (ADVISORY + "Ordinary prose, e.g. a status update. " * 20) * 700
    assert len(text) > 1_000_000
    started = time.perf_counter()
    extract(text)
    # Generous bound (typically ~0.3 s): this catches quadratic behaviour, not jitter.
    assert time.perf_counter() - started < 3


@pytest.mark.parametrize(
    "blob",
    ["a" * 200_000, "a." * 100_000, "1." * 100_000, ":" * 200_000, "a@" * 100_000, "0" * 200_000]
    + ["http://x.com/" + ")" * 200_000, "[.]" * 70_000, "-" * 200_000],
)
def test_extract_has_no_pathological_inputs(blob):
    started = time.perf_counter()
    extract(blob)
    assert time.perf_counter() - started < 2


# --- properties -------------------------------------------------------------

hex_digits = "0123456789abcdefABCDEF"


@given(st.ip_addresses(v=4))
def test_ipv4_normalise_is_canonical_and_idempotent(address):
    once = normalise("ipv4", str(address))
    assert once == str(address)
    assert normalise("ipv4", once) == once


@given(st.ip_addresses(v=6))
def test_ipv6_normalise_is_canonical_and_idempotent(address):
    once = normalise("ipv6", address.exploded.upper())
    assert once == address.compressed
    assert normalise("ipv6", once) == once


@given(st.ip_addresses(v=4) | st.ip_addresses(v=6), st.integers(0, 128))
def test_cidr_normalise_is_canonical_and_idempotent(address, prefix):
    prefix %= address.max_prefixlen + 1
    once = normalise("cidr", f"{address}/{prefix}")
    assert once == str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    assert normalise("cidr", once) == once


@given(st.sampled_from([("md5", 32), ("sha1", 40), ("sha256", 64)]), st.data())
def test_hash_normalise_is_idempotent(kind, data):
    name, length = kind
    value = data.draw(st.text(alphabet=hex_digits, min_size=length, max_size=length))
    once = normalise(name, value)
    assert once == value.lower()
    assert normalise(name, once) == once


DOT_FORMS = st.sampled_from([".", "[.]", "(.)", "{.}", "[dot]", "(dot)", "[DOT]"])


def defang(value: str, data: st.DataObject) -> str:
    return "".join(data.draw(DOT_FORMS) if ch == "." else ch for ch in value)


labels = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,20}[A-Za-z0-9])?", fullmatch=True)
tlds = st.sampled_from(["com", "org", "RU", "de", "io", "xn--p1ai", "museum"])
domains = st.builds(
    lambda parts, tld: ".".join([*parts, tld]), st.lists(labels, min_size=1, max_size=4), tlds
)


@given(st.ip_addresses(v=4), st.data())
def test_refanged_ipv4_normalises_like_the_original(address, data):
    assert normalise("ipv4", defang(str(address), data)) == normalise("ipv4", str(address))


@given(domains, st.data())
def test_refanged_domain_normalises_like_the_original(name, data):
    expected = normalise("domain", name)
    assert normalise("domain", defang(name, data)) == expected
    assert normalise("domain", expected) == expected


FRAGMENTS = st.sampled_from(
    [
        " ", "\n", ".", ",", ")", "(", "[", "]", ":", "/", "@", "-", "_", "'", '"', "<", ">",
        "[.]", "hxxp://", "https://", "[@]", "[://]", "evil", "com", "ru", "pdf", "xn--",
        "1.2.3.4", "999", "::", "2001:db8", "/24", MD5, SHA1[:20], "CVE-2024-", "3400",
        "пример", "рф", "ü", "\u3002", "%", "?", "#",
    ]
)  # fmt: skip


@settings(deadline=None)
@given(st.text())
def test_extract_never_raises_on_arbitrary_text(text):
    for type_name, value in extract(text):
        assert normalise(type_name, value) == value


@settings(deadline=None, max_examples=300)
@given(st.lists(FRAGMENTS | st.text(max_size=3), max_size=40).map("".join))
def test_extract_never_raises_on_indicator_shaped_text(text):
    for type_name, value in extract(text):
        assert normalise(type_name, value) == value
