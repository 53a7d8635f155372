"""Loading a release's figures from a CSV or XLSX file: one row per measure,
every row checked and reported before anything is saved.

The file needs a header row naming the columns `measure` (the measure's code,
such as rta-claims-notified, or its name) and `value`. Values may be written
as people write them: 54,321 or 87.5% or £1,250."""

import csv
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from .formatting import format_value
from .models import Figure, Measure

MAX_BYTES = 1024 * 1024
MAX_ROWS = 1000
# An XLSX file is a zip: refuse one that would unpack to more than this
# (a "zip bomb"), before openpyxl reads a byte of it.
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
# Figure.value: 18 digits, 4 of them after the point.
MAX_WHOLE_DIGITS = 14


class UploadError(ValueError):
    """A file that cannot be read at all; the message says why, for staff."""


def parse_value(measure, text):
    """The Decimal `text` means for `measure`, or ValueError with a message
    for staff. Thousands separators, %, £ and spaces are allowed."""
    cleaned = text.strip().replace(",", "").replace(" ", "").replace("£", "").rstrip("%")
    if not cleaned:
        raise ValueError("Enter a value.")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"“{text.strip()}” is not a number.") from None
    if not value.is_finite():
        raise ValueError(f"“{text.strip()}” is not a number.")
    sign, digits, exponent = value.as_tuple()
    if exponent < 0 and -exponent > measure.decimal_places:
        places = measure.decimal_places
        raise ValueError(
            f"{measure.name} has {'no' if places == 0 else places} decimal "
            f"place{'' if places == 1 else 's'}: “{text.strip()}” has more."
        )
    if value < 0:
        raise ValueError("A figure cannot be negative.")
    if value.adjusted() >= MAX_WHOLE_DIGITS:
        raise ValueError("This number is too large.")
    return value


@dataclass
class Row:
    """One row of the file and what loading it would do."""

    line: int
    measure_text: str
    value_text: str
    measure: Measure | None = None
    value: Decimal | None = None
    current: Decimal | None = None
    problem: str = ""

    @property
    def verdict(self):
        if self.problem:
            return "problem"
        if self.current is None:
            return "new"
        return "unchanged" if self.current == self.value else "changed"

    @property
    def verdict_label(self):
        return {
            "problem": f"Not loaded: {self.problem}",
            "new": "New figure",
            "changed": f"Changes {format_value(self.current, self.measure)} to "
                       f"{format_value(self.value, self.measure)}",
            "unchanged": "The same as now",
        }[self.verdict]


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value).strip()


def _csv_rows(raw):
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.") \
            from None
    if "\x00" in text:
        raise UploadError("The file is not a CSV text file.")
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise UploadError(f"The file could not be read as CSV: {error}.") from None


def _xlsx_rows(raw):
    unreadable = UploadError("The file could not be read as an XLSX spreadsheet. Save it "
                             "from Excel as “Excel Workbook (.xlsx)” and try again.")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise unreadable from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise UploadError("The spreadsheet is too large once unpacked: a release has one row "
                          "per measure.")
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError,
            TypeError, IndexError):
        raise unreadable from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(value) for value in row])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def read_rows(upload):
    """[(line number, {column: text})] of an uploaded CSV or XLSX file."""
    if upload.size > MAX_BYTES:
        raise UploadError("The file is larger than 1 MB: a release has one row per measure.")
    name = upload.name.lower()
    raw = upload.read()
    if name.endswith(".csv"):
        rows = _csv_rows(raw)
    elif name.endswith(".xlsx"):
        rows = _xlsx_rows(raw)
    else:
        raise UploadError("Upload a CSV (.csv) or Excel (.xlsx) file.")
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise UploadError("The file is empty.")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [name for name in ("measure", "value") if name not in header]
    if missing:
        raise UploadError("The first row must name the columns “measure” and “value” "
                          f"(missing: {', '.join(missing)}).")
    if len(rows) - 1 > MAX_ROWS:
        raise UploadError(f"The file has more than {MAX_ROWS} rows: one row per measure.")
    records = []
    for line, row in enumerate(rows[1:], start=2):
        cells = dict(zip(header, row, strict=False))
        records.append((line, cells))
    return records


def check(release, records):
    """A Row for each record: its measure, its value, what it would change,
    or the problem that stops it. Nothing is saved."""
    measures = list(Measure.objects.all())
    by_key = {measure.code.lower(): measure for measure in measures}
    by_key.update({measure.name.lower(): measure for measure in measures})
    current = dict(Figure.objects.filter(release=release).values_list("measure_id", "value"))
    seen = {}
    rows = []
    for line, cells in records:
        row = Row(line, cells.get("measure", "").strip(), cells.get("value", "").strip())
        rows.append(row)
        if not row.measure_text:
            row.problem = "No measure given."
            continue
        row.measure = by_key.get(row.measure_text.lower())
        if row.measure is None:
            row.problem = (f"“{row.measure_text}” is not a measure: use a code or name "
                           "listed under Management information → Measures.")
            continue
        if row.measure.pk in seen:
            row.problem = f"Repeats {row.measure.name}, already on row {seen[row.measure.pk]}."
            continue
        seen[row.measure.pk] = line
        try:
            row.value = parse_value(row.measure, row.value_text)
        except ValueError as error:
            row.problem = str(error)
            continue
        row.current = current.get(row.measure.pk)
    return rows
