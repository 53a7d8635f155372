"""Open data: each release as CSV, JSON and XLSX, each measure's series as CSV
and JSON, at stable addresses; /latest/ leads to the newest release's files.

Every file carries its units, the licence, its source and any revision
("Revised on 03/01/2027: …") or illustrative-figures note. CSV and XLSX
cells are formula-safe (common.csv_export.safe_cell)."""

import datetime
import io
import json

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from common.csv_export import csv_lines, safe_cell
from common.page_cache import public_page
from common.site_url import absolute_url

from . import surrogate_keys
from .formatting import format_value, plain
from .models import Measure, Release
from .periods import iso_month
from .reports import MeasureSeries

LICENCE = {
    "name": "Open Government Licence v3.0",
    "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
ILLUSTRATIVE = "Illustrative figures made up for a demonstration: not real data."
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
RELEASE_COLUMNS = ["period", "group", "measure", "code", "unit", "value", "notes", "source",
                   "licence"]
SERIES_COLUMNS = ["period", "measure", "code", "unit", "value", "notes", "source", "licence"]


def licence_text():
    return f"{LICENCE['name']}: {LICENCE['url']}"


def revision_text(correction, code=None):
    """“Revised on 03/01/2027: <reason> (previously 1,234)”."""
    text = f"Revised on {timezone.localtime(correction.corrected_at):%d/%m/%Y}: {correction.reason}"
    if code is not None:
        for change in correction.changes:
            if change["code"] == code:
                previous = change["previous"]
                text += f" (previously {'no figure' if previous is None else plain(previous)})"
    return text


def unit_label(measure):
    return Measure.Unit(measure.unit).label


def number(value):
    """A JSON (or spreadsheet) number that keeps the figure's digits."""
    if value is None:
        return None
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else float(value)


# ---- the rows of the CSV and XLSX files: dicts of the columns, values as Decimal


def csv_text(columns, records):
    rows = ([plain(r[name]) if name == "value" else r[name] for name in columns]
            for r in records)
    return "".join(csv_lines(columns, rows))


def xlsx_row(columns, record):
    return [
        number(record[name]) if name == "value" else safe_cell(record[name])
        for name in columns
    ]


# ---- a release


def release_records(release):
    source = absolute_url(release.get_absolute_url())
    for row in release.report.measures:
        measure = row.measure
        notes = [ILLUSTRATIVE] if release.illustrative else []
        notes += [revision_text(correction, measure.code) for correction in row.revisions]
        yield {
            "period": iso_month(release.period), "group": measure.group.name,
            "measure": measure.name, "code": measure.code, "unit": unit_label(measure),
            "value": row.value, "notes": " ".join(notes), "source": source,
            "licence": licence_text(),
        }


def release_data(release):
    report = release.report
    return {
        "title": release.title,
        "period": iso_month(release.period),
        "published": release.published_at.isoformat(),
        "source": absolute_url(release.get_absolute_url()),
        "licence": LICENCE,
        "illustrative": release.illustrative,
        "notes": " ".join(part for part in (ILLUSTRATIVE if release.illustrative else "",
                                            release.notes) if part),
        "revisions": [
            {
                "date": correction.corrected_at.isoformat(),
                "text": revision_text(correction),
                "reason": correction.reason,
                "changes": correction.changes,
            }
            for correction in report.corrections
        ],
        "figures": [
            {
                "group": row.measure.group.name,
                "measure": row.measure.name,
                "code": row.measure.code,
                "unit": unit_label(row.measure),
                "value": number(row.value),
                "formatted": row.value_text,
                "revised": bool(row.revisions),
            }
            for row in report.measures
        ],
    }


def release_workbook(release):
    """An XLSX workbook: the figures, and a sheet about them (source, licence, notes)."""
    workbook = Workbook(write_only=True)
    figures = workbook.create_sheet("Figures")
    for column, width in zip("ABCDEFGHI", (10, 24, 40, 28, 16, 14, 60, 50, 60), strict=True):
        figures.column_dimensions[column].width = width
    figures.append(RELEASE_COLUMNS)
    for record in release_records(release):
        figures.append(xlsx_row(RELEASE_COLUMNS, record))
    about = workbook.create_sheet("About")
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 100
    data = release_data(release)
    for label, value in [
        ("Title", data["title"]),
        ("Period", data["period"]),
        ("Published", timezone.localtime(release.published_at).strftime("%d/%m/%Y %H:%M")),
        ("Source", data["source"]),
        ("Licence", licence_text()),
        ("Units", "Each figure's unit is in the “unit” column of the Figures sheet."),
        ("Notes", data["notes"]),
        *[("Revision", revision["text"]) for revision in data["revisions"]],
    ]:
        about.append([safe_cell(label), safe_cell(value)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _file(content, fmt, filename):
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    disposition = "inline" if fmt == "json" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def _json(data):
    return json.dumps(data, ensure_ascii=False, indent=2)


def release_file(release, fmt):
    filename = f"management-information-{iso_month(release.period)}.{fmt}"
    if fmt == "csv":
        content = csv_text(RELEASE_COLUMNS, release_records(release))
    elif fmt == "json":
        content = _json(release_data(release))
    else:
        content = release_workbook(release)
    return _file(content, fmt, filename)


# Downloads are small and cheap, and their Content-Disposition must reach the
# visitor: shared caches keep them (public_page's headers), the application's
# own page cache does not.
@public_page(keys=[surrogate_keys.PAGES], store=False)
def release(request, year, month, format):
    period = datetime.date(year, month, 1)
    return release_file(get_object_or_404(Release.objects.published(), period=period), format)


@public_page(keys=[surrogate_keys.PAGES])
def latest(request, format):
    """The newest release's file: a temporary redirect, so the address never
    changes while what it leads to does."""
    newest = Release.objects.published().order_by("-period").first()
    if newest is None:
        raise Http404("No release is published yet.")
    return redirect(reverse("management_information:release-download",
                            kwargs={**newest.url_kwargs, "format": format}))


# ---- a measure's series


def series_records(series):
    measure = series.measure
    revised = {correction.release.period: correction for correction in series.revisions}
    source = absolute_url(measure.get_absolute_url())
    for month, value in series.rows:
        yield {
            "period": iso_month(month), "measure": measure.name, "code": measure.code,
            "unit": unit_label(measure), "value": value,
            "notes": revision_text(revised[month], measure.code) if month in revised else "",
            "source": source, "licence": licence_text(),
        }


def series_data(series):
    measure = series.measure
    return {
        "measure": measure.name,
        "code": measure.code,
        "group": measure.group.name,
        "unit": unit_label(measure),
        "description": measure.description,
        "source": absolute_url(measure.get_absolute_url()),
        "licence": LICENCE,
        "series": [
            {"period": record["period"], "value": number(record["value"]),
             "formatted": format_value(record["value"], measure), "notes": record["notes"]}
            for record in series_records(series)
        ],
    }


@public_page(keys=[surrogate_keys.PAGES], store=False)
def measure(request, code, format):
    series = MeasureSeries(get_object_or_404(Measure.objects.select_related("group"), code=code))
    if not series.rows:
        raise Http404("This measure has no published figures yet.")
    filename = f"management-information-{code}.{format}"
    if format == "csv":
        return _file(csv_text(SERIES_COLUMNS, series_records(series)), format, filename)
    return _file(_json(series_data(series)), format, filename)
