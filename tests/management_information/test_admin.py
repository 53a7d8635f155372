"""Admin: Editors draft releases and load figures, Publishers review and publish;
publishing drafts the announcing news item; corrections keep the old figures;
uploads are checked row by row before anything is saved."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from management_information.models import Figure, Release, ReleaseCorrection
from news.models import NewsItem
from tests.helpers import member_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unambiguous_local_time")]
ADMIN = "/admin/management_information/release/"


@pytest.fixture
def editor(db):
    return member_of("Editors", "edna")


@pytest.fixture
def publisher(db):
    return member_of("Publishers", "percy")


@pytest.fixture
def draft(measures):
    return Release.objects.create(period=datetime.date(2026, 10, 1))


@pytest.fixture
def public_release(make_release, measures):
    """October 2026, public since 15/11/2026 (the clock says 18/11/2026)."""
    rta, a2a, el = measures
    return make_release(datetime.date(2026, 10, 1), {rta: 1200, a2a: "60.5", el: 300})


def figures_form(measures, values, reason=""):
    data = {f"measure_{m.pk}": value for m, value in zip(measures, values, strict=True)}
    return {**data, "reason": reason}


def csv_file(text, name="figures.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def values(release):
    return {f.measure.code: f.value for f in release.figures.select_related("measure")}


def test_an_editor_drafts_a_release_with_default_dates(client, editor, measures):
    client.force_login(editor)
    response = client.post(ADMIN + "add/", {
        "period": "2026-10", "notes": "", "announcement": "", "revision_message": "",
    })
    assert response.status_code == 302, response.content[:3000]
    release = Release.objects.get()
    assert release.period == datetime.date(2026, 10, 1)
    assert release.status == Release.Status.DRAFT and not release.announced
    assert release.announced_date == datetime.date(2026, 11, 15)
    assert timezone.localtime(release.published_at).strftime("%d/%m/%Y %H:%M") == (
        "15/11/2026 09:30"
    )


@pytest.mark.parametrize("period", ["November 2026", "11/2026", "2026-11"])
def test_a_period_may_be_written_as_people_write_months(client, publisher, period):
    client.force_login(publisher)
    client.post(ADMIN + "add/", {"period": period, "status": "draft", "announced_date": "",
                                 "published_at_0": "", "published_at_1": ""})
    assert Release.objects.get().period == datetime.date(2026, 11, 1)


def test_a_moved_announced_release_must_say_why(client, publisher, draft):
    client.force_login(publisher)
    data = {"period": "2026-10", "status": "draft", "announced": "on",
            "announced_date": "16/11/2026", "published_at_0": "19/11/2026",
            "published_at_1": "09:30:00", "date_change_reason": ""}
    response = client.post(f"{ADMIN}{draft.pk}/change/", data)
    assert response.status_code == 200
    assert ("Say why the release moves from its announced date 16/11/2026 to 19/11/2026"
            in response.text)
    client.post(f"{ADMIN}{draft.pk}/change/", {**data, "date_change_reason": "Late data."})
    draft.refresh_from_db()
    assert draft.date_note == "Moved from 16/11/2026 to 19/11/2026: Late data."


def test_editor_loads_figures_submits_and_a_publisher_publishes(
    client, editor, publisher, draft, measures, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    change = f"{ADMIN}{draft.pk}/change/"
    # Nothing to review without figures.
    response = client.post(change, {"period": "2026-10", "_submit": "1"})
    assert "Load the figures before this release is reviewed or published." in response.text
    response = client.post(f"{ADMIN}{draft.pk}/figures/",
                           figures_form(measures, ["1,234", "61.5%", ""]))
    assert response.status_code == 302
    assert values(draft) == {"rta-claims": Decimal("1234"), "a2a-share": Decimal("61.5")}
    assert not ReleaseCorrection.objects.exists()  # not public: no revision to record
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change, {"period": "2026-10", "_submit": "1"})
    assert response.status_code == 302

    client.force_login(publisher)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{ADMIN}{draft.pk}/review/", {"decision": "publish"})
    draft.refresh_from_db()
    assert draft.status == Release.Status.PUBLISHED and draft.is_public
    assert client.get("/management-information/2026/10/").status_code == 200

    # Publishing drafted the news item announcing it.
    item = draft.announcement
    assert item.title == ("Executive Dashboard Management Information Now Available — "
                          "October 2026")
    assert item.status == NewsItem.Status.DRAFT
    assert item.category.slug == "management-info"
    assert item.archive_year == 2026 and item.published_at == draft.published_at
    assert 'href="/management-information/2026/10/"' in item.body
    # Saving again drafts no second item.
    draft.save()
    assert NewsItem.objects.count() == 1


def test_a_release_with_an_announcement_gets_no_other(make_release, measures, make_item):
    item = make_item(title="Executive Dashboard Management Information Now Available - X")
    release = make_release(datetime.date(2026, 10, 1), {measures[0]: 1}, announcement=item)
    release.refresh_from_db()
    assert release.announcement == item and NewsItem.objects.count() == 1


def test_only_publishers_change_a_published_releases_figures(client, editor, public_release,
                                                             measures):
    client.force_login(editor)
    assert client.get(f"{ADMIN}{public_release.pk}/figures/").status_code == 403
    assert client.post(f"{ADMIN}{public_release.pk}/upload/",
                       {"file": csv_file("measure,value\nrta-claims,1\n")}).status_code == 403
    assert "Enter figures" not in client.get(f"{ADMIN}{public_release.pk}/change/").text
    assert values(public_release)["rta-claims"] == Decimal("1200")


def test_correcting_a_public_release_needs_a_reason_and_keeps_the_old_figures(
    client, publisher, public_release, measures
):
    client.force_login(publisher)
    url = f"{ADMIN}{public_release.pk}/figures/"
    response = client.post(url, figures_form(measures, ["1210", "60.5", "300"]))
    assert response.status_code == 400
    assert "Say why the published figures changed" in response.text
    assert values(public_release)["rta-claims"] == Decimal("1200")

    response = client.post(url, figures_form(measures, ["1210", "60.5", "300"],
                                             reason="A supplier sent late data"))
    assert response.status_code == 302
    assert values(public_release)["rta-claims"] == Decimal("1210")
    correction = ReleaseCorrection.objects.get()
    assert correction.reason == "A supplier sent late data"
    assert correction.corrected_by == publisher
    assert correction.changes == [{"code": "rta-claims", "measure": "RTA claims notified",
                                   "previous": "1200", "value": "1210"}]
    page = client.__class__().get("/management-information/2026/10/").text
    assert "A supplier sent late data" in page and "was 1,200, now 1,210" in page
    # The same figures again change nothing and record nothing.
    client.post(url, figures_form(measures, ["1210", "60.5", "300"], reason="again"))
    assert ReleaseCorrection.objects.count() == 1


def test_typed_figures_are_checked_next_to_each_field(client, publisher, draft, measures):
    client.force_login(publisher)
    response = client.post(f"{ADMIN}{draft.pk}/figures/",
                           figures_form(measures, ["12a", "61.55", "-3"]))
    assert response.status_code == 400
    assert "“12a” is not a number." in response.text
    assert "Claims sent through A2A has 1 decimal place: “61.55” has more." in response.text
    assert "A figure cannot be negative." in response.text
    assert not Figure.objects.exists()


def test_an_upload_with_problems_reports_every_row_and_saves_nothing(client, publisher, draft,
                                                                    measures):
    client.force_login(publisher)
    text = ("Measure,Value\n"
            "rta-claims,\"1,234\"\n"
            "no-such-thing,5\n"
            "Claims sent through A2A,61.55\n"
            "rta-claims,7\n"
            ",3\n"
            "el-claims,many\n")
    response = client.post(f"{ADMIN}{draft.pk}/upload/", {"file": csv_file(text)})
    assert response.status_code == 400
    report = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))
    assert "Nothing was loaded: 5 rows have problems." in report
    assert "2 RTA claims notified 1,234 New figure" in report
    assert "3 no-such-thing 5 Not loaded: “no-such-thing” is not a measure" in report
    assert "4 Claims sent through A2A 61.55 Not loaded: Claims sent through A2A has 1 decimal" in (
        report)
    assert "5 RTA claims notified 7 Not loaded: Repeats RTA claims notified, already on row 2." in (
        report)
    assert "6 3 Not loaded: No measure given." in report
    assert "7 EL claims notified many Not loaded: “many” is not a number." in report
    assert "Load these figures" not in report
    assert not Figure.objects.exists()


def test_a_good_upload_is_confirmed_then_loaded(client, publisher, public_release, measures):
    client.force_login(publisher)
    url = f"{ADMIN}{public_release.pk}/upload/"
    text = "measure,value\nrta-claims,1200\na2a-share,61.0%\nEL claims notified,301\n"
    response = client.post(url, {"file": csv_file(text)})
    assert response.status_code == 200
    report = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))
    assert "Every row can be loaded: 2 figures will change." in report
    assert "Changes 60.5% to 61.0%" in report and "The same as now" in report
    assert values(public_release)["a2a-share"] == Decimal("60.5")  # nothing saved yet
    payload = re.search(r'name="payload" value="([^"]+)"', response.text)[1]
    # A public release: the revision needs its reason.
    response = client.post(url, {"payload": payload, "reason": ""})
    assert response.status_code == 400
    assert values(public_release)["a2a-share"] == Decimal("60.5")
    response = client.post(url, {"payload": payload, "reason": "Recounted"})
    assert response.status_code == 302
    assert values(public_release) == {"rta-claims": Decimal("1200"),
                                      "a2a-share": Decimal("61.0"), "el-claims": Decimal("301")}
    assert ReleaseCorrection.objects.get().reason == "Recounted"


def test_a_tampered_or_foreign_confirmation_is_refused(client, publisher, draft, make_release,
                                                      measures):
    client.force_login(publisher)
    response = client.post(f"{ADMIN}{draft.pk}/upload/",
                           {"file": csv_file("measure,value\nrta-claims,5\n")})
    payload = re.search(r'name="payload" value="([^"]+)"', response.text)[1]
    other = make_release(datetime.date(2026, 9, 1), status=Release.Status.DRAFT)
    response = client.post(f"{ADMIN}{other.pk}/upload/", {"payload": payload})
    assert response.status_code == 400 and "checked for another release" in response.text
    response = client.post(f"{ADMIN}{draft.pk}/upload/", {"payload": payload[:-2] + "xx"})
    assert response.status_code == 400 and "changed after they were checked" in response.text
    assert not Figure.objects.exists()


def test_an_xlsx_upload(client, publisher, draft, measures):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["measure", "value"])
    sheet.append(["rta-claims", 1234])
    sheet.append(["a2a-share", 61.5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.force_login(publisher)
    url = f"{ADMIN}{draft.pk}/upload/"
    response = client.post(url, {"file": SimpleUploadedFile("f.xlsx", buffer.getvalue())})
    payload = re.search(r'name="payload" value="([^"]+)"', response.text)[1]
    client.post(url, {"payload": payload})
    assert values(draft) == {"rta-claims": Decimal("1234"), "a2a-share": Decimal("61.5")}


@pytest.mark.parametrize("name, content, message", [
    ("f.txt", b"measure,value\n", "Upload a CSV (.csv) or Excel (.xlsx) file."),
    ("f.csv", b"", "The submitted file is empty."),
    ("f.csv", b"\n,\n", "The file is empty."),
    ("f.csv", b"name,amount\nx,1\n", "The first row must name the columns"),
    ("f.csv", "measure,value\nrta,1\n".encode("utf-16"), "The file is not UTF-8 text."),
    ("f.xlsx", b"PK\x03\x04 not really a zip", "could not be read as an XLSX spreadsheet"),
    ("f.csv", b"measure,value\n" + b"x,1\n" * 1001, "more than 1000 rows"),
])
def test_a_file_that_cannot_be_read_is_refused_with_its_reason(client, publisher, draft, name,
                                                               content, message):
    client.force_login(publisher)
    response = client.post(f"{ADMIN}{draft.pk}/upload/",
                           {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert message in response.text
    assert not Figure.objects.exists()


def test_an_xlsx_zip_bomb_is_refused_before_it_is_read(client, publisher, draft):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"0" * (30 * 1024 * 1024))
    client.force_login(publisher)
    response = client.post(f"{ADMIN}{draft.pk}/upload/",
                           {"file": SimpleUploadedFile("bomb.xlsx", buffer.getvalue())})
    assert response.status_code == 400
    assert "too large once unpacked" in response.text


def test_roles(editor, publisher):
    assert editor.has_perms(["management_information.add_release",
                             "management_information.change_release",
                             "management_information.view_measure"])
    assert not editor.has_perm("management_information.publish_release")
    assert not editor.has_perm("management_information.change_measure")
    assert publisher.has_perms(["management_information.publish_release",
                                "management_information.add_measure"])


def test_the_change_form_lists_figures_and_revisions(client, publisher, public_release):
    ReleaseCorrection.objects.create(release=public_release, reason="Late data", changes=[
        {"code": "rta-claims", "measure": "RTA claims notified", "previous": "1", "value": "2"}
    ])
    client.force_login(publisher)
    page = client.get(f"{ADMIN}{public_release.pk}/change/").text
    assert "Enter figures" in page and "Upload figures" in page
    assert "<td>RTA claims notified</td><td>1200</td>" in page
    assert "Late data (1 figure)" in page


def test_an_editors_change_to_a_published_release_waits_and_can_be_previewed(
    client, editor, publisher, public_release
):
    client.force_login(editor)
    change = f"{ADMIN}{public_release.pk}/change/"
    assert client.get(ADMIN + "add/").status_code == 200
    assert client.get(change).status_code == 200
    response = client.post(change, {"period": "2026-10", "notes": "A new way of counting.",
                                    "announcement": public_release.announcement_id or ""})
    assert response.status_code == 302
    public_release.refresh_from_db()
    assert public_release.notes == ""  # the live release is unchanged
    preview = client.get(f"{ADMIN}{public_release.pk}/history/1/preview/")
    assert preview.status_code == 200
    assert "A new way of counting." in preview.text and "Preview of revision 1" in preview.text
    assert "RTA claims notified" in preview.text  # the figures, drawn as the public page does
    assert "A new way of counting." not in client.__class__().get(
        "/management-information/2026/10/").text


@pytest.mark.parametrize("object_id", ["abc", "99999999999999999999999", "-1", "0"])
def test_figures_pages_of_no_release_are_404(client, publisher, object_id):
    client.force_login(publisher)
    assert client.get(f"{ADMIN}{object_id}/figures/").status_code == 404
    assert client.post(f"{ADMIN}{object_id}/upload/").status_code == 404
