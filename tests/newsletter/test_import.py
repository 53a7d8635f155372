"""The admin CSV import: upload returns at once, a worker checks every row
(dry run), a manager confirms, the worker imports, the page follows it; a crash
mid-import resumes without adding anyone twice."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from newsletter import imports
from newsletter.models import ImportRow, Subscriber, SubscriberImport, Suppression, email_hash

pytestmark = pytest.mark.django_db

CONTENT = (
    "email,frequency,topics\n"
    "new@example.com,monthly,management-info\n"
    "KNOWN@example.com,weekly,\n"
    "erased@example.com,weekly,\n"
    "not-an-address,weekly,\n"
    "other@example.com,hourly,\n"
    "topic@example.com,weekly,nonsense\n"
    "new@example.com,weekly,\n"
    f"{'a' * 250}@example.com,weekly,\n"
    "\n"
    "plain@exämple.org\n"
    "=cmd|'/Ccalc'!A0@example.org\n"
)


@pytest.fixture
def staff(admin_client):
    return admin_client


@pytest.fixture
def upload(staff, django_capture_on_commit_callbacks, categories):
    def upload(content=CONTENT, name="subscribers.csv"):
        with django_capture_on_commit_callbacks(execute=True):
            return staff.post(
                "/admin/newsletter/subscriber/import/",
                {"file": SimpleUploadedFile(name, content.encode(), content_type="text/csv")},
            )

    return upload


def confirm(staff, job, django_capture_on_commit_callbacks):
    url = f"/admin/newsletter/subscriber/import/{job.pk}/"
    with django_capture_on_commit_callbacks(execute=True):  # the task runs on commit
        staff.post(url, {"confirm": "yes"})
    return staff.get(url)


def test_dry_run_then_confirm(staff, upload, make_subscriber, django_capture_on_commit_callbacks):
    make_subscriber(email="known@example.com")
    Suppression.objects.create(email_hash=email_hash("erased@example.com"), reason="erased")
    response = upload()
    job = SubscriberImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/newsletter/subscriber/import/{job.pk}/"
    # The dry run: verdicts for every row, nobody added yet.
    assert Subscriber.objects.count() == 1
    html = staff.get(response["Location"]).content.decode()
    assert "Dry run: nothing has been added yet" in html
    totals = dict(re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', html))
    assert totals == {
        "Added": "3",
        "Repeats an earlier row": "1",
        "Already on the list: not changed": "1",
        "Suppressed (erased on request, bounced or complained)": "1",
        "Not valid": "4",
    }
    for outcome in ["Unknown frequency “hourly”", "Unknown topic “nonsense”.",
                    "Not a valid email address."]:
        assert outcome in html
    assert "Add 3 subscribers" in html

    page = confirm(staff, job, django_capture_on_commit_callbacks).content.decode()
    assert "Imported" in page
    new = Subscriber.objects.get(email="new@example.com")
    assert (new.status, new.frequency, new.source) == ("confirmed", "monthly", "import")
    assert list(new.topics.values_list("slug", flat=True)) == ["management-info"]
    assert new.consents.get().source == "import"
    assert "Management info" in new.consents.get().details
    assert Subscriber.objects.filter(email="plain@xn--exmple-cua.org").exists()
    assert Subscriber.objects.count() == 4
    # Confirming twice adds nobody.
    confirm(staff, job, django_capture_on_commit_callbacks)
    assert Subscriber.objects.count() == 4


def test_the_report_downloads_with_safe_cells(staff, upload, django_capture_on_commit_callbacks):
    upload()
    job = SubscriberImport.objects.get()
    confirm(staff, job, django_capture_on_commit_callbacks)
    response = staff.get(f"/admin/newsletter/subscriber/import/{job.pk}/report.csv")
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-report.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 10  # the blank line is no row
    by_line = {row["row"]: row for row in rows}
    assert by_line["2"]["result"] == "Added" and by_line["2"]["imported"] == "yes"
    assert by_line["8"]["result"] == "Repeats an earlier row"
    assert by_line["12"]["email"].startswith("'=")  # never a live formula


def test_progress_json(staff, upload):
    upload()
    job = SubscriberImport.objects.get()
    data = staff.get(f"/admin/newsletter/subscriber/import/{job.pk}/progress.json").json()
    assert data == {"status": "Checked: waiting for confirmation", "done": 11, "total": 11,
                    "running": False}


def test_a_running_import_shows_a_self_refreshing_bar(staff, categories):
    job = SubscriberImport.objects.create(file_name="big.csv", content="email\n", total_rows=50,
                                          rows_done=20, status="importing")
    html = staff.get(f"/admin/newsletter/subscriber/import/{job.pk}/").content.decode()
    assert '<progress id="import-progress" value="20" max="50">' in html
    assert "js/admin_progress" in html and "data-progress-url" in html
    assert "<script>" not in html.split("</head>")[1]  # no inline script


def test_a_crash_mid_import_resumes_without_adding_anyone_twice(categories, monkeypatch):
    monkeypatch.setattr(imports, "BATCH", 100)
    rows = "".join(f"reader{n}@example.com,weekly,update\n" for n in range(350))
    job = SubscriberImport.objects.create(file_name="x.csv", content="email,frequency,topics\n"
                                          + rows)
    imports.check(job.pk)
    assert imports.confirm(job)

    class WorkerDied(Exception):
        pass

    batches = []

    def die_after_two():
        batches.append(1)
        if len(batches) == 2:
            raise WorkerDied

    with pytest.raises(WorkerDied):
        imports.run(job.pk, after_batch=die_after_two)
    assert Subscriber.objects.count() == 200
    job.refresh_from_db()
    assert job.status == "importing" and job.rows_done == 200
    imports.run(job.pk)  # the next attempt
    assert Subscriber.objects.count() == 350
    assert Subscriber.topics.through.objects.count() == 350
    assert ImportRow.objects.filter(done=True).count() == 350
    job.refresh_from_db()
    assert job.status == "done"


def test_a_stalled_job_is_queued_again(categories, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from newsletter import tasks

    job = SubscriberImport.objects.create(file_name="x.csv", content="email\nann@example.com\n",
                                          lease_until=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_deliveries()
    job.refresh_from_db()
    assert job.status == "checked" and job.rows.get().verdict == "add"


@pytest.mark.parametrize(
    "content, message",
    [
        ("name,phone\nAnn,123\n", "including “email”"),
        ("email\n" + "a@example.com\n" * 50_001, "more than 50000 rows"),
    ],
)
def test_files_that_cannot_be_imported_are_refused_at_once(upload, content, message):
    response = upload(content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SubscriberImport.objects.exists()


def test_job_page_query_count(staff, upload, django_assert_max_num_queries):
    upload()
    job = SubscriberImport.objects.get()
    with django_assert_max_num_queries(8):
        assert staff.get(f"/admin/newsletter/subscriber/import/{job.pk}/").status_code == 200
