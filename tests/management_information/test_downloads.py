"""Open data downloads: CSV, JSON and XLSX, stable addresses, licence and units in
the files, revisions, formula-safe cells, and the sitemap."""

import csv
import datetime
import io
import json

import pytest
from openpyxl import load_workbook

from management_information.downloads import LICENCE
from management_information.models import Figure, Measure, ReleaseCorrection
from tests.helpers import at, london, sitemap_entries

pytestmark = pytest.mark.django_db
NOW = london(2027, 1, 5, 12, 0)
RELEASE = "/management-information/2026/11/"


@pytest.fixture
def release(make_release, measures):
    rta, a2a, el = measures
    make_release(datetime.date(2026, 10, 1), {rta: 1210, a2a: "62.1", el: 221})
    return make_release(datetime.date(2026, 11, 1), {rta: 1220, a2a: "62.2", el: 222},
                        illustrative=True)


def rows(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_release_csv_has_units_licence_source_and_notes(client, release):
    with at(NOW):
        response = client.get(RELEASE + "figures.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="management-information-2026-11.csv"'
    )
    assert "public" in response["Cache-Control"]
    found = {row["code"]: row for row in rows(response)}
    assert found["rta-claims"]["value"] == "1220"
    assert found["rta-claims"]["unit"] == "Number"
    assert found["a2a-share"]["value"] == "62.2"
    assert found["a2a-share"]["unit"] == "Percentage (%)"
    assert found["a2a-share"]["group"] == "Portal use"
    assert found["rta-claims"]["period"] == "2026-11"
    assert found["rta-claims"]["licence"].startswith("Open Government Licence v3.0")
    assert found["rta-claims"]["source"] == "http://127.0.0.1:8000" + RELEASE  # SITE_URL
    assert "Illustrative figures" in found["rta-claims"]["notes"]


def test_release_json(client, release):
    with at(NOW):
        response = client.get(RELEASE + "figures.json")
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["period"] == "2026-11" and data["licence"] == LICENCE
    assert data["illustrative"] is True
    figures = {figure["code"]: figure for figure in data["figures"]}
    assert figures["rta-claims"]["value"] == 1220
    assert figures["a2a-share"]["value"] == 62.2
    assert figures["a2a-share"]["formatted"] == "62.2%"
    assert figures["el-claims"]["unit"] == "Number"


def test_release_xlsx_has_the_figures_and_a_sheet_about_them(client, release):
    with at(NOW):
        response = client.get(RELEASE + "figures.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Figures", "About"]
    figures = list(workbook["Figures"].values)
    assert figures[0][:6] == ("period", "group", "measure", "code", "unit", "value")
    values = {row[3]: row[5] for row in figures[1:]}
    assert values == {"rta-claims": 1220, "a2a-share": 62.2, "el-claims": 222}
    about = dict(workbook["About"].values)
    assert about["Licence"].startswith("Open Government Licence v3.0")
    assert about["Period"] == "2026-11"


def test_a_correction_is_in_every_download(client, release, measures):
    Figure.objects.filter(release=release, measure=measures[0]).update(value=1230)
    ReleaseCorrection.objects.create(
        release=release, reason="Late data", corrected_at=london(2027, 1, 3, 10),
        changes=[{"code": "rta-claims", "measure": "RTA claims notified", "previous": "1220",
                  "value": "1230"}],
    )
    with at(NOW):
        found = {row["code"]: row for row in rows(client.get(RELEASE + "figures.csv"))}
        data = json.loads(client.get(RELEASE + "figures.json").content)
        series = rows(client.get("/management-information/measures/rta-claims/series.csv"))
        workbook = load_workbook(io.BytesIO(client.get(RELEASE + "figures.xlsx").content))
    note = "Revised on 03/01/2027: Late data (previously 1220)"
    assert note in found["rta-claims"]["notes"]
    assert "Revised" not in found["el-claims"]["notes"]
    assert data["revisions"][0]["text"] == "Revised on 03/01/2027: Late data"
    assert data["revisions"][0]["changes"][0]["previous"] == "1220"
    assert series[-1]["notes"] == note and series[-1]["value"] == "1230"
    assert ("Revision", "Revised on 03/01/2027: Late data") in list(workbook["About"].values)


def test_cells_a_spreadsheet_would_run_are_quoted(client, release, measures):
    Measure.objects.filter(pk=measures[0].pk).update(name="=HYPERLINK(\"http://x\")")
    with at(NOW):
        found = {row["code"]: row for row in rows(client.get(RELEASE + "figures.csv"))}
        workbook = load_workbook(io.BytesIO(client.get(RELEASE + "figures.xlsx").content))
    assert found["rta-claims"]["measure"] == "'=HYPERLINK(\"http://x\")"
    cell = next(row for row in workbook["Figures"].iter_rows() if row[3].value == "rta-claims")[2]
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_latest_leads_to_the_newest_release(client, release, make_release, measures):
    make_release(datetime.date(2026, 12, 1), {measures[0]: 1})  # public on 15/01/2027
    for fmt in ("csv", "json", "xlsx"):
        with at(NOW):
            response = client.get(f"/management-information/latest/figures.{fmt}")
        assert response.status_code == 302
        assert response["Location"] == f"{RELEASE}figures.{fmt}"
    with at(london(2027, 1, 15, 9, 30)):
        response = client.get("/management-information/latest/figures.csv")
    assert response["Location"] == "/management-information/2026/12/figures.csv"


def test_no_latest_before_the_first_release(client, db):
    assert client.get("/management-information/latest/figures.csv").status_code == 404


def test_measure_series_downloads(client, release):
    with at(NOW):
        series = rows(client.get("/management-information/measures/a2a-share/series.csv"))
        data = json.loads(client.get("/management-information/measures/a2a-share/series.json")
                          .content)
        assert client.get("/management-information/measures/a2a-share/series.xlsx"
                          ).status_code == 404
    assert [(row["period"], row["value"], row["unit"]) for row in series] == [
        ("2026-10", "62.1", "Percentage (%)"), ("2026-11", "62.2", "Percentage (%)")
    ]
    assert data["licence"] == LICENCE and data["unit"] == "Percentage (%)"
    assert [point["value"] for point in data["series"]] == [62.1, 62.2]


def test_the_sitemap_lists_the_pages_and_every_download(client, release):
    with at(NOW):
        locations = set(sitemap_entries(client))
    base = "http://127.0.0.1:8000/management-information/"
    for path in ["", "measures/", "calendar/", "2026/11/", "2026/11/figures.csv",
                 "2026/11/figures.json", "2026/11/figures.xlsx", "2026/10/",
                 "measures/rta-claims/", "measures/rta-claims/series.csv",
                 "measures/a2a-share/series.json"]:
        assert base + path in locations, path
