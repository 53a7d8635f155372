"""Admin: categories, declarations, the policy version, the read-only consent log; pruning."""

import csv
import datetime
import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cookies import consent
from cookies.models import ConsentPolicy, ConsentRecord, CookieCategory

from .conftest import page_policy

pytestmark = pytest.mark.django_db


def make_record(days_ago=0, **fields):
    return ConsentRecord.objects.create(
        consent_id=fields.pop("consent_id", uuid.uuid4()),
        created_at=timezone.now() - datetime.timedelta(days=days_ago),
        policy_version=1,
        choices=fields.pop("choices", {"analytics": True}),
        decision=fields.pop("decision", "accepted"),
        location="banner",
        javascript=False,
        **fields,
    )


def test_default_categories_from_the_migration(cookie_defaults):
    necessary = cookie_defaults["strictly-necessary"]
    assert necessary.required
    names = set(necessary.declarations.values_list("name", flat=True))
    assert {"sessionid", "csrftoken", "cookie_consent"} <= names
    analytics = cookie_defaults["analytics"]
    assert not analytics.required
    assert set(analytics.declarations.values_list("name", flat=True)) == {"_ga", "_ga_*"}
    assert not cookie_defaults["marketing"].declarations.exists()
    assert ConsentPolicy.objects.get().version == 1


def test_admin_pages_load(admin_client, cookie_defaults):
    make_record()
    for name in [
        "admin:cookies_cookiecategory_changelist",
        "admin:cookies_cookiecategory_add",
        "admin:cookies_cookiedeclaration_changelist",
        "admin:cookies_consentpolicy_changelist",
        "admin:cookies_consentrecord_changelist",
    ]:
        assert admin_client.get(reverse(name)).status_code == 200, name
    url = reverse("admin:cookies_cookiecategory_change", args=[cookie_defaults["analytics"].pk])
    page = admin_client.get(url).content.decode()
    assert "_ga_*" in page


def test_ask_everyone_again_bumps_the_version(
    admin_client, cookie_defaults, client, django_capture_on_commit_callbacks
):
    assert page_policy(client.get("/"))["version"] == 1
    policy = ConsentPolicy.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:cookies_consentpolicy_changelist"),
            {"action": "ask_everyone_again", "_selected_action": [policy.pk]},
            follow=True,
        )
    assert "now version 2" in response.content.decode()
    assert ConsentPolicy.objects.get().version == 2
    assert consent.current_policy().version == 2
    # Every page's banner carries the new version, so the script asks again.
    assert page_policy(client.get("/"))["version"] == 2


def test_policy_cannot_be_added_twice_or_deleted(admin_client, cookie_defaults):
    assert admin_client.get(reverse("admin:cookies_consentpolicy_add")).status_code == 403
    policy = ConsentPolicy.objects.get()
    url = reverse("admin:cookies_consentpolicy_delete", args=[policy.pk])
    assert admin_client.get(url).status_code == 403


def test_consent_log_is_read_only(admin_client, cookie_defaults):
    record = make_record()
    assert admin_client.get(reverse("admin:cookies_consentrecord_add")).status_code == 403
    change_url = reverse("admin:cookies_consentrecord_change", args=[record.pk])
    page = admin_client.get(change_url)
    assert page.status_code == 200  # a view-only page
    assert 'name="_save"' not in page.content.decode()
    admin_client.post(change_url, {"policy_version": 9})
    record.refresh_from_db()
    assert record.policy_version == 1
    delete_url = reverse("admin:cookies_consentrecord_delete", args=[record.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert ConsentRecord.objects.filter(pk=record.pk).exists()


def test_consent_log_exports_csv(admin_client, cookie_defaults):
    records = [make_record(days_ago=2, gpc=True), make_record(days_ago=1)]
    response = admin_client.post(
        reverse("admin:cookies_consentrecord_changelist"),
        {"action": "export_csv", "_selected_action": [r.pk for r in records]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["consent_id"] for row in rows] == [str(r.consent_id) for r in records]
    assert rows[0]["choices"] == '{"analytics": true}'
    assert rows[0]["gpc"] == "True"
    assert "ip" not in " ".join(rows[0]).lower().split("_")


def test_prune_deletes_entries_past_retention(cookie_defaults, settings):
    settings.COOKIE_CONSENT_LOG_RETENTION_DAYS = 730
    old, recent = make_record(days_ago=731), make_record(days_ago=729)
    out = io.StringIO()
    call_command("prune_consent_log", "--dry-run", stdout=out)
    assert "1 consent log entries" in out.getvalue()
    assert ConsentRecord.objects.count() == 2
    call_command("prune_consent_log", stdout=out)
    assert list(ConsentRecord.objects.all()) == [recent]
    assert not ConsentRecord.objects.filter(pk=old.pk).exists()
    call_command("prune_consent_log", "--days", "1", stdout=out)
    assert not ConsentRecord.objects.exists()
    with pytest.raises(CommandError):
        call_command("prune_consent_log", "--days", "0")


def test_retention_default_is_longer_than_consent_lifetime(settings):
    assert settings.COOKIE_CONSENT_LOG_RETENTION_DAYS > settings.COOKIE_CONSENT_MAX_AGE_DAYS


def test_category_admin_creates_a_category(admin_client, cookie_defaults):
    response = admin_client.post(
        reverse("admin:cookies_cookiecategory_add"),
        {
            "name": "Preferences", "slug": "preferences", "description": "Remembers settings",
            "order": 30,
            "declarations-TOTAL_FORMS": 1, "declarations-INITIAL_FORMS": 0,
            "declarations-MIN_NUM_FORMS": 0, "declarations-MAX_NUM_FORMS": 1000,
            "declarations-0-name": "theme", "declarations-0-provider": "This site",
            "declarations-0-purpose": "Remembers the theme", "declarations-0-duration": "1 year",
            "declarations-0-path": "/", "declarations-0-order": 0,
            "declarations-0-storage": "cookie",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CookieCategory.objects.get(slug="preferences").declarations.count() == 1
    assert "preferences" in consent.current_policy().optional_slugs


def test_beat_prunes_the_consent_log_daily(cookie_defaults, settings):
    from cookies.tasks import prune_consent_log

    entry = settings.CELERY_BEAT_SCHEDULE["cookies-prune-consent-log"]
    assert entry["task"] == prune_consent_log.name and entry["schedule"] == 86400
    settings.COOKIE_CONSENT_LOG_RETENTION_DAYS = 730
    make_record(days_ago=731)
    recent = make_record(days_ago=729)
    prune_consent_log.apply()
    assert list(ConsentRecord.objects.all()) == [recent]


def test_the_migration_classifies_earlier_choices_and_declares_the_pending_choice(
    cookie_defaults,
):
    """0004: entries logged before decisions existed get one from their choices;
    the banner's pending choice is declared as session storage."""
    import importlib

    from django.apps import apps

    from cookies.models import CookieDeclaration

    migration = importlib.import_module("cookies.migrations.0004_statistics_exception")
    records = {
        "accepted": make_record(choices={"analytics": True, "marketing": True}),
        "rejected": make_record(choices={"analytics": False}),
        "partly": make_record(choices={"analytics": True, "marketing": False}),
    }
    pending = CookieDeclaration.objects.get(name="cookie-consent-pending")
    pending.storage = "cookie"
    pending.save()
    migration.classify_and_declare(apps, None)
    for decision, record in records.items():
        record.refresh_from_db()
        assert record.decision == decision
    assert CookieDeclaration.objects.get(name="cookie-consent-pending").storage == "session"
    assert cookie_defaults["analytics"].statistics
