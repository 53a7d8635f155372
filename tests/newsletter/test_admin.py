import csv
import io
import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile

from newsletter import digests, schedules
from newsletter.models import (
    Delivery,
    ImportRow,
    Subscriber,
    SubscriptionConsent,
    Suppression,
    email_hash,
)
from newsletter.services import erase

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_client, admin_user):
    admin_user.email = "editor@example.com"
    admin_user.save()
    return admin_client


def upload(staff, content, name="subscribers.csv"):
    if isinstance(content, str):
        content = content.encode()
    return staff.post(
        "/admin/newsletter/subscriber/import/",
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


class TestPages:
    @pytest.mark.parametrize(
        "url",
        [
            "/admin/newsletter/subscriber/",
            "/admin/newsletter/subscriber/?status__exact=confirmed&frequency__exact=weekly",
            "/admin/newsletter/subscriber/?q=example",
            "/admin/newsletter/subscriber/import/",
            "/admin/newsletter/digest/",
            "/admin/newsletter/delivery/",
            "/admin/newsletter/digestschedule/",
            "/admin/newsletter/suppression/",
            "/admin/newsletter/suppression/?q=ann@example.com",
        ],
    )
    def test_pages(self, staff, make_subscriber, url):
        make_subscriber(email="ann@example.com")
        assert staff.get(url).status_code == 200

    def test_consent_history_inline(self, staff, make_subscriber):
        subscriber = make_subscriber()
        SubscriptionConsent.objects.create(
            subscriber=subscriber, action="subscribe", consent_version="2026-11", source="page"
        )
        html = staff.get(f"/admin/newsletter/subscriber/{subscriber.pk}/change/").content.decode()
        assert "Consent history" in html or "consent history" in html
        assert "Asked to subscribe" in html

    def test_digest_counts(self, staff, make_item, make_subscriber, django_assert_max_num_queries):
        make_item()
        for email in ("a@example.com", "b@example.com", "perm@example.com"):
            make_subscriber(email=email)
        digest = schedules.forced_digest("weekly")
        digests.build(digest.pk)  # rows made; sending waits for commit
        Delivery.objects.filter(subscriber__email="a@example.com").update(status="sent")
        Delivery.objects.filter(subscriber__email="perm@example.com").update(status="failed")
        with django_assert_max_num_queries(10):
            html = staff.get("/admin/newsletter/digest/").content.decode()
        assert '<td class="field-pending">1</td>' in html
        assert '<td class="field-sent">1</td>' in html
        assert '<td class="field-failed">1</td>' in html
        # A bar that refreshes itself from the digest's progress.json.
        assert '<progress value="2" max="3" aria-label="Emails sent">66 %</progress>' in html
        assert f'data-progress-url="/admin/newsletter/digest/{digest.pk}/progress.json"' in html
        assert "js/admin_progress.js" in html
        data = staff.get(f"/admin/newsletter/digest/{digest.pk}/progress.json").json()
        assert data == {"status": "Sending", "done": 2, "total": 3, "running": True}

    def test_schedule_is_editable(self, staff):
        staff.get("/admin/newsletter/digestschedule/")
        from newsletter.models import DigestSchedule

        weekly = DigestSchedule.objects.get(frequency="weekly")
        response = staff.post(
            f"/admin/newsletter/digestschedule/{weekly.pk}/change/",
            {"frequency": "weekly", "enabled": "on", "weekday": 4, "day": 1, "hour": 25},
        )
        assert response.status_code == 200 and b"Enter an hour from 0 to 23." in response.content
        staff.post(
            f"/admin/newsletter/digestschedule/{weekly.pk}/change/",
            {"frequency": "weekly", "enabled": "on", "weekday": 4, "day": 1, "hour": 16},
        )
        weekly.refresh_from_db()
        assert (weekly.weekday, weekly.hour) == (4, 16)

    def test_send_a_test_to_me(self, staff, make_item, mailoutbox):
        make_item(title="Latest news")
        staff.get("/admin/newsletter/digestschedule/")
        from newsletter.models import DigestSchedule

        weekly = DigestSchedule.objects.get(frequency="weekly")
        staff.post(
            "/admin/newsletter/digestschedule/",
            {"action": "send_test", ACTION_CHECKBOX_NAME: [weekly.pk]},
        )
        (message,) = mailoutbox
        assert message.to == ["editor@example.com"]
        assert message.subject.startswith("[Test]")
        assert "Latest news" in message.body
        assert not Delivery.objects.exists()


class TestCsv:
    def test_export(self, staff, make_subscriber, categories):
        make_subscriber(email="ann@example.com", topics=[categories[1]])
        make_subscriber(email="bob@example.com")
        response = staff.post(
            "/admin/newsletter/subscriber/",
            {
                "action": "export_csv",
                ACTION_CHECKBOX_NAME: list(Subscriber.objects.values_list("pk", flat=True)),
            },
        )
        assert response["Content-Type"].startswith("text/csv")
        assert response.streaming  # rows are written as they are read
        body = b"".join(response.streaming_content).decode()
        rows = list(csv.DictReader(io.StringIO(body)))
        assert [r["email"] for r in rows] == ["ann@example.com", "bob@example.com"]
        assert rows[0]["topics"] == "management-info" and rows[1]["topics"] == ""

    @pytest.mark.parametrize(
        "address",
        [
            "=cmd|'/Ccalc'!A0@example.org",
            "+sum(1+1)@example.org",
            "-2+3@example.org",
            "@sum(1)@example.org",
        ],
    )
    def test_export_neutralises_formulas(self, staff, make_subscriber, address):
        Subscriber.objects.all().delete()
        make_subscriber(email=address)
        response = staff.post(
            "/admin/newsletter/subscriber/",
            {
                "action": "export_csv",
                ACTION_CHECKBOX_NAME: list(Subscriber.objects.values_list("pk", flat=True)),
            },
        )
        (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
        assert row["email"] == "'" + address.lower()  # shown as text, never run

    def test_safe_cell(self):
        from common.csv_export import safe_cell

        assert safe_cell("\tx") == "'\tx" and safe_cell("\rx") == "'\rx"
        assert safe_cell("ann@example.com") == "ann@example.com" and safe_cell(None) == ""

    def test_export_of_many_rows_queries_in_pages(
        self, staff, make_subscriber, django_assert_max_num_queries
    ):
        Subscriber.objects.bulk_create(
            Subscriber(email=f"r{n}@example.com", status="confirmed") for n in range(4500)
        )
        ids = list(Subscriber.objects.values_list("pk", flat=True))
        response = staff.post(
            "/admin/newsletter/subscriber/",
            {"action": "export_csv", ACTION_CHECKBOX_NAME: ids[:1], "select_across": "1"},
        )
        # Three pages of 2,000 and their topics, not one query per row.
        with django_assert_max_num_queries(8):
            lines = sum(1 for _ in response.streaming_content)
        assert lines == 4501

    @pytest.mark.parametrize(
        "content, message",
        [
            (b"", "The submitted file is empty."),
            (b"name,phone\nAnn,123\n", "including “email”"),
            (b"\xff\xfe\x00b\x00a\x00d", "not UTF-8"),
            (b"email\n\x00\x00\x00", "not a CSV text file"),
        ],
    )
    def test_malformed_files(self, staff, make_subscriber, content, message):
        make_subscriber()
        response = upload(staff, content)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert Subscriber.objects.count() == 1

    def test_no_file(self, staff):
        response = staff.post("/admin/newsletter/subscriber/import/", {})
        assert response.status_code == 400


class TestGdpr:
    def test_export_one_subscribers_data(self, staff, make_subscriber):
        subscriber = make_subscriber(email="ann@example.com")
        SubscriptionConsent.objects.create(
            subscriber=subscriber, action="confirm", consent_version="2026-11", source="email"
        )
        response = staff.post(
            "/admin/newsletter/subscriber/",
            {"action": "export_data", ACTION_CHECKBOX_NAME: [subscriber.pk]},
        )
        data = json.loads(response.content)
        assert data["email"] == "ann@example.com"
        assert data["topics"] == "all"
        assert data["consent_records"][0]["action"] == "confirm"

    def test_erase_asks_then_keeps_only_a_hash(
        self, staff, make_subscriber, django_capture_on_commit_callbacks
    ):
        subscriber = make_subscriber(email="ann@example.com")
        SubscriptionConsent.objects.create(
            subscriber=subscriber, action="confirm", consent_version="2026-11", source="email"
        )
        page = staff.post(
            "/admin/newsletter/subscriber/",
            {"action": "erase", ACTION_CHECKBOX_NAME: [subscriber.pk]},
        )
        assert b"Yes, erase" in page.content
        assert Subscriber.objects.exists()
        staff.post(
            "/admin/newsletter/subscriber/",
            {"action": "erase", ACTION_CHECKBOX_NAME: [subscriber.pk], "confirm": "yes"},
        )
        assert not Subscriber.objects.exists() and not SubscriptionConsent.objects.exists()
        suppression = Suppression.objects.get()
        assert "ann" not in suppression.email_hash
        assert suppression.email_hash == email_hash("ANN@example.com ")
        # An import cannot bring them back.
        with django_capture_on_commit_callbacks(execute=True):
            upload(staff, "email\nann@example.com\n")
        assert ImportRow.objects.get().verdict == "suppressed"

    def test_erase_needs_exactly_one(self, staff, make_subscriber):
        pks = [make_subscriber().pk, make_subscriber().pk]
        staff.post(
            "/admin/newsletter/subscriber/",
            {"action": "erase", ACTION_CHECKBOX_NAME: pks, "confirm": "yes"},
        )
        assert Subscriber.objects.count() == 2

    def test_erased_can_sign_up_again_themselves(self, make_subscriber):
        erase(make_subscriber(email="ann@example.com"))
        assert Suppression.objects.for_address("ann@example.com").exists()


class TestSuppressions:
    def test_managers_see_reasons_and_can_lift_one(self, staff, make_subscriber):
        from newsletter import services

        subscriber = make_subscriber(email="ann@example.com")
        services.suppress_address(
            "ann@example.com", "complained", "postmark", "4323372036854775807", "SpamComplaint"
        )
        html = staff.get("/admin/newsletter/suppression/").content.decode()
        assert "Spam complaint" in html and "postmark" in html and "4323372036854775807" in html
        suppression = Suppression.objects.get()
        response = staff.post(
            "/admin/newsletter/suppression/",
            {"action": "lift", ACTION_CHECKBOX_NAME: [suppression.pk]},
            follow=True,
        )
        assert "1 suppressions lifted." in response.content.decode()
        subscriber.refresh_from_db()
        assert subscriber.status == "confirmed" and not Suppression.objects.exists()
        assert [c.action for c in subscriber.consents.all()] == ["suppress", "lift"]

    def test_an_erasure_is_not_lifted(self, staff):
        Suppression.objects.create(email_hash=email_hash("gone@example.com"), reason="erased")
        staff.post(
            "/admin/newsletter/suppression/",
            {"action": "lift", ACTION_CHECKBOX_NAME: [Suppression.objects.get().pk]},
        )
        assert Suppression.objects.count() == 1
