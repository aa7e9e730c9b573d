"""Shared fixtures: a small federation built through the real actions, and API clients."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from django.test import Client

from certfed.audit.log import CLI, Context
from certfed.intel.actions import do_create_event
from certfed.members.actions import (
    do_create_api_key,
    do_create_organisation,
    do_create_user,
    do_set_organisation_status,
)
from certfed.sharing.access import viewer_for
from certfed.sharing.actions import do_create_sharing_group

PASSWORD = "s3cure-test-passphrase"


class Api:
    """A test client speaking JSON to /api/v1 with one API key (or none)."""

    def __init__(self, key: str | None = None) -> None:
        self.client = Client()
        self.key = key

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.key}"} if self.key else {}

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1{path}", params, **self._headers())

    def post(self, path: str, data=None, raw: str | None = None):
        body = raw if raw is not None else json.dumps(data)
        return self.client.post(
            f"/api/v1{path}", body, content_type="application/json", **self._headers()
        )

    def patch(self, path: str, data):
        return self.client.patch(
            f"/api/v1{path}", json.dumps(data), content_type="application/json", **self._headers()
        )

    def delete(self, path: str):
        return self.client.delete(f"/api/v1{path}", **self._headers())


@dataclass
class Federation:
    orgs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)

    def api(self, user_label: str | None, scope: str = "write") -> Api:
        if user_label is None:
            return Api()
        return Api(self.keys[(user_label, scope)])

    def ctx(self, label: str) -> Context:
        return Context(user=self.users[label], via="cli")

    def viewer(self, label: str):
        return viewer_for(self.users[label])

    def event(self, label: str, **data):
        data.setdefault("title", "An event")
        data.setdefault("published", True)
        return do_create_event(self.ctx(label), self.viewer(label), data)


@pytest.fixture
def fed(db) -> Federation:
    """Two national CERTs (full), a general member, a commercial vendor, an affiliate and a
    suspended full member; an analyst, a viewer and an admin in the first; one sharing group
    of ALPHA and VENDOR."""
    f = Federation()
    for short, cat, cc in [
        ("ALPHA", "full", "MY"),
        ("BRAVO", "full", "ID"),
        ("GAMMA", "general", "TR"),
        ("VENDOR", "commercial", "US"),
        ("AFFIL", "affiliate", "EG"),
        ("SUSP", "full", "PK"),
    ]:
        f.orgs[short] = do_create_organisation(
            CLI, name=f"{short} team", short_name=short, country=cc, category=cat
        )
    for label, org, role in [
        ("alpha", "ALPHA", "analyst"),
        ("alpha_viewer", "ALPHA", "viewer"),
        ("alpha_admin", "ALPHA", "org-admin"),
        ("bravo", "BRAVO", "analyst"),
        ("gamma", "GAMMA", "analyst"),
        ("vendor", "VENDOR", "analyst"),
        ("affil", "AFFIL", "analyst"),
        ("susp", "SUSP", "analyst"),
    ]:
        f.users[label] = do_create_user(
            CLI,
            email=f"{label}@{org.lower()}.example",
            organisation=f.orgs[org],
            role=role,
            password=PASSWORD,
        )
        for scope in ("read", "write"):
            if scope == "write" and role == "viewer":
                continue
            f.keys[(label, scope)] = do_create_api_key(CLI, f.users[label], scope=scope)[1]
    f.groups["alpha-vendor"] = do_create_sharing_group(
        f.ctx("alpha"), f.viewer("alpha"), name="Alpha and vendor", members=["VENDOR"]
    )
    return f


@pytest.fixture
def suspended(fed: Federation) -> Federation:
    do_set_organisation_status(CLI, fed.orgs["SUSP"], "suspended")
    return fed


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness buys nothing in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
