"""kernel.warninglists: each kind of list matches as MISP's does, in priority order."""

from __future__ import annotations

from certfed.kernel.warninglists import WarningList, WarninglistIndex

IPS = frozenset({"ip-src", "ip-dst"})
NAMES = frozenset({"domain", "hostname", "url"})


def index() -> WarninglistIndex:
    return WarninglistIndex([
        WarningList("Nets", "cidr", IPS, ["10.0.0.0/8", "2001:db8::/32", "bad line"]),
        WarningList("Exact", "string", NAMES, ["Exact.example.", "8.8.4.4"]),
        WarningList("Hosts", "hostname", NAMES, ["hosted.example", "bare"]),
        WarningList("Sub", "substring", NAMES, ["sandbox"]),
        WarningList("Mail", "substring", frozenset({"email-src"}),
                    [f"disposable{i}.example" for i in range(300)]),
        WarningList("Contacts", "regex", frozenset({"email-dst"}), ["/^abuse@/i"]),
        WarningList("Hashes", "string", frozenset({"md5"}), ["D41D8CD98F00B204E9800998ECF8427E"]),
        WarningList("Also nets", "cidr", IPS, ["10.1.0.0/16"]),
        WarningList("Empty", "string", NAMES, []),
    ])  # fmt: skip


def test_kinds_and_priority():
    wl = index()
    assert wl.hits("ipv4", "10.1.2.3") == ["Nets", "Also nets"]
    assert wl.first("ipv4", "10.1.2.3") == "Nets"
    assert wl.hits("cidr", "10.1.0.0/24") == ["Nets", "Also nets"]
    assert wl.hits("cidr", "10.0.0.0/7") == []  # wider than every listed network
    assert wl.hits("ipv6", "2001:db8::1") == ["Nets"]
    assert wl.hits("ipv4", "8.8.4.4") == []  # that string list is not for addresses
    assert wl.hits("domain", "exact.example") == ["Exact"]
    assert wl.hits("domain", "sub.exact.example") == []  # string lists are exact
    assert wl.hits("domain", "a.b.hosted.example") == ["Hosts"]  # hostname: parents too
    assert wl.hits("domain", "nothosted.example") == []
    assert wl.hits("domain", "a.bare") == ["Hosts"]  # a one-label entry: a whole TLD
    assert wl.hits("url", "https://www.hosted.example/x") == ["Hosts"]
    assert wl.hits("url", "http://exact.example:8080/y") == ["Exact"]
    assert wl.hits("domain", "my-sandbox-1.example") == ["Sub"]
    assert wl.hits("email", "x@mx.disposable7.example") == ["Mail"]
    assert wl.hits("email", "Abuse@anything.example") == ["Contacts"]
    assert wl.hits("md5", "d41d8cd98f00b204e9800998ecf8427e") == ["Hashes"]
    assert wl.first("cve", "CVE-2024-1") == "" and wl.hits("sha1", "a" * 40) == []
    assert "Empty" not in wl.names


def test_only_the_requested_types_are_indexed():
    wl = WarninglistIndex(index_lists(), types=["md5"])
    assert wl.names == ["Hashes"] and wl.hits("ipv4", "10.1.2.3") == []


def index_lists():
    return [WarningList("Nets", "cidr", IPS, ["10.0.0.0/8"]),
            WarningList("Hashes", "string", frozenset({"md5"}), ["a" * 32])]  # fmt: skip
