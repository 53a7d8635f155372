"""CSV for subscribers: the export, reading an import's file, and the import's
per-row report. Every cell written is safe to open in a spreadsheet."""

import csv
import io

from django.utils import timezone

from .models import ImportRow

COLUMNS = ["email", "status", "frequency", "topics", "source", "created_at", "confirmed_at"]
MAX_ROWS = 50_000
MAX_BYTES = 5 * 1024 * 1024


def export_rows(queryset):
    """The subscribers as rows of COLUMNS (keyset pages of 2,000 with their topics)."""
    for subscriber in queryset.prefetch_related("topics").iterator(chunk_size=2000):
        yield (
            subscriber.email,
            subscriber.status,
            subscriber.frequency,
            ";".join(topic.slug for topic in subscriber.topics.all()),
            subscriber.source,
            timezone.localtime(subscriber.created_at).strftime("%d/%m/%Y %H:%M"),
            timezone.localtime(subscriber.confirmed_at).strftime("%d/%m/%Y %H:%M")
            if subscriber.confirmed_at
            else "",
        )


class CsvError(ValueError):
    """A file that cannot be imported at all; the message says why, for staff."""


def check_upload(upload):
    """The upload's text if it can be imported; CsvError otherwise. Quick
    enough for the request (a 5 MB file is read once)."""
    if upload.size > MAX_BYTES:
        raise CsvError("The file is larger than 5 MB. Split it into smaller files.")
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvError(
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."
        ) from None
    if "\x00" in text:
        raise CsvError("The file is not a CSV text file.")
    header, rows = parse(text)
    if "email" not in header:
        raise CsvError("The first row must name the columns, including “email”.")
    if len(rows) > MAX_ROWS:
        raise CsvError(f"The file has more than {MAX_ROWS} rows. Split it into smaller files.")
    return text


def parse(text):
    """(lower-cased header, data rows) of CSV text."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise CsvError(f"The file could not be read as CSV: {error}.") from None
    if not rows:
        raise CsvError("The file is empty.")
    return [name.strip().lower() for name in rows[0]], rows[1:]


REPORT_COLUMNS = ["row", "email", "result", "details", "imported"]


def report_rows(job):
    """The per-row report of an import, as rows of REPORT_COLUMNS."""
    rows = job.rows.order_by("line").values_list("line", "email", "verdict", "message", "done")
    labels = dict(ImportRow.Verdict.choices)
    for line, email, verdict, message, done in rows.iterator(chunk_size=5000):
        yield line, email, labels[verdict], message, "yes" if done else "no"
