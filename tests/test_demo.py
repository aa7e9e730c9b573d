"""The demo federation: loaded once per module (it goes through every write action, which
takes seconds), inside a transaction rolled back afterwards so other tests never see it."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.db import transaction
from django.test import override_settings

from certfed.intel.models import Event, Indicator
from certfed.kernel.labels import CATEGORIES, DISTRIBUTIONS, TLP_LEVELS
from certfed.members.models import Organisation, User
from certfed.platform.demo import DEMO_PASSWORD, DemoSummary, load_demo
from certfed.sharing.access import ANONYMOUS, access_events, viewer_for
from certfed.sharing.models import SharingGroup

# The real hasher costs a few tenths of a second per password; these tests check who may log
# in, not how the hash is computed. The override lasts as long as the module's demo.
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    fast = override_settings(PASSWORD_HASHERS=FAST_HASHER)
    with fast, django_db_blocker.unblock(), transaction.atomic():
        summary = load_demo()
        yield summary
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_summary_matches_the_database(demo: DemoSummary):
    assert not demo.already_loaded
    assert demo.organisations == Organisation.objects.count() >= 12
    assert demo.users == User.objects.count()
    assert demo.sharing_groups == SharingGroup.objects.count() >= 3
    assert demo.events == Event.objects.count() >= 50
    assert demo.indicators == Indicator.objects.count() >= 1000
    text = demo.describe()
    assert f"{demo.organisations} organisations" in text
    assert f"{demo.indicators:,} indicators" in text


def test_organisations_cover_categories_and_countries(demo):
    orgs = list(Organisation.objects.all())
    assert {o.category for o in orgs} == set(CATEGORIES)
    assert len({o.country for o in orgs}) >= 3
    assert any(o.status == "suspended" for o in orgs)
    for org in orgs:
        assert org.users.filter(role="analyst").exists(), org.short_name


def test_federation_roles_exist(demo):
    assert User.objects.filter(is_secretariat=True).count() >= 1
    assert User.objects.filter(is_board=True).count() >= 2
    admins = User.objects.filter(is_platform_admin=True)
    assert admins.count() == 1
    assert admins.get().organisation.short_name == "MyCERT"


def test_every_label_is_used(demo):
    assert set(Event.objects.values_list("tlp", flat=True)) == set(TLP_LEVELS)
    assert set(Event.objects.values_list("distribution", flat=True)) == set(DISTRIBUTIONS)
    assert Event.objects.filter(published=False).exists()
    assert Event.objects.filter(published=True).count() > Event.objects.count() * 3 // 4


def test_values_are_shared_between_organisations(demo):
    owners_by_value: dict[tuple[str, str], set[int]] = {}
    for type_, value, owner in Indicator.objects.values_list("type", "value", "event__owner"):
        owners_by_value.setdefault((type_, value), set()).add(owner)
    assert sum(len(owners) > 1 for owners in owners_by_value.values()) >= 20


def test_events_read_like_reports(demo):
    for event in Event.objects.prefetch_related("tags"):
        assert event.title and len(event.description) > 100
        assert any(t.is_attack_technique for t in event.tags.all()), event.title


def test_gate_sees_the_demo(demo):
    assert access_events(ANONYMOUS).exists()
    assert not access_events(ANONYMOUS).exclude(tlp="CLEAR").exists()
    analyst = User.objects.get(email="analyst@mycert.example")
    assert access_events(viewer_for(analyst)).count() > access_events(ANONYMOUS).count()


def test_logins_name_real_users(demo):
    emails = [email for email, _ in demo.logins]
    assert {"analyst@mycert.example", "secretariat@mycert.example"} <= set(emails)
    assert dict(demo.logins)["analyst@mycert.example"] == "analyst, MyCERT (MY, full member)"
    assert User.objects.filter(email__in=emails).count() == len(emails)


def test_demo_users_authenticate_unless_suspended(demo):
    suspended = 0
    for user in User.objects.select_related("organisation"):
        ok = authenticate(username=user.email, password=DEMO_PASSWORD)
        if user.organisation.status == "suspended":
            suspended += 1
            assert ok is None, user.email
        else:
            assert ok is not None and ok.pk == user.pk, user.email
    assert suspended >= 1
    assert authenticate(username="analyst@mycert.example", password="wrong-password") is None


def test_second_load_is_a_no_op(demo):
    again = load_demo()
    assert again.already_loaded
    assert (again.organisations, again.users, again.sharing_groups) == (
        demo.organisations,
        demo.users,
        demo.sharing_groups,
    )
    assert (again.events, again.indicators, again.logins) == (
        demo.events,
        demo.indicators,
        demo.logins,
    )
    assert "already loaded" in again.describe()
