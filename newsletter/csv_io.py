"""CSV export and import of subscribers. An import reports on every row and
never adds an address twice, nor one that was erased or bounced."""

import csv
import io
from dataclasses import dataclass, field

from django.core.validators import validate_email
from django.db import transaction
from django.forms import ValidationError
from django.utils import timezone

from news.models import Category

from .models import Frequency, Subscriber, SubscriptionConsent, Suppression, email_hash
from .services import normalise, record

COLUMNS = ["email", "status", "frequency", "topics", "source", "created_at", "confirmed_at"]
MAX_ROWS = 50_000
MAX_BYTES = 5 * 1024 * 1024


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A cell a spreadsheet will show as text, never run as a formula: OWASP's
    advice is to prefix a leading = + - @ tab or carriage return with a quote."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _Echo:
    def write(self, value):
        return value


def export_rows(queryset):
    """CSV lines of the subscribers, one at a time: 50,000 rows are never all
    in memory (keyset pages of 2,000 with their topics)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for subscriber in queryset.prefetch_related("topics").iterator(chunk_size=2000):
        yield writer.writerow(
            [
                safe_cell(value)
                for value in (
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
            ]
        )


@dataclass
class Report:
    rows: list = field(default_factory=list)  # (line number, email, outcome, ok)
    fatal: str = ""

    @property
    def added(self):
        return sum(1 for row in self.rows if row[3])

    def summary(self):
        return f"{self.added} added, {len(self.rows) - self.added} not added."


def _read(upload, report):
    if upload.size > MAX_BYTES:
        report.fatal = "The file is larger than 5 MB. Split it into smaller files."
        return None
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.fatal = "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."
        return None
    if "\x00" in text:
        report.fatal = "The file is not a CSV text file."
        return None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        report.fatal = f"The file could not be read as CSV: {error}."
        return None
    if not rows:
        report.fatal = "The file is empty."
        return None
    header = [name.strip().lower() for name in rows[0]]
    if "email" not in header:
        report.fatal = "The first row must name the columns, including “email”."
        return None
    if len(rows) - 1 > MAX_ROWS:
        report.fatal = f"The file has more than {MAX_ROWS} rows. Split it into smaller files."
        return None
    return header, rows[1:]


def import_subscribers(upload):
    report = Report()
    parsed = _read(upload, report)
    if parsed is None:
        return report
    header, rows = parsed
    slugs = {category.slug: category for category in Category.objects.all()}
    suppressed = set(Suppression.objects.values_list("email_hash", flat=True))
    seen = set()
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = dict(zip(header, row, strict=False))
        email = (values.get("email") or "").strip()
        ok, outcome = _import_row(values, email, slugs, suppressed, seen)
        report.rows.append((number, email[:254], outcome, ok))
    return report


def _import_row(values, email, slugs, suppressed, seen):
    if not email:
        return False, "No email address."
    if len(email) > 254 or "\n" in email or "\r" in email:
        return False, "Not a valid email address."
    try:
        validate_email(email)
    except ValidationError:
        return False, "Not a valid email address."
    email = normalise(email)
    if email in seen:
        return False, "Repeats an earlier row."
    seen.add(email)
    if email_hash(email) in suppressed:
        return False, "Suppressed (erased on request or bounced): not added."
    frequency = (values.get("frequency") or "").strip().lower() or Frequency.WEEKLY
    if frequency not in Frequency.values:
        return False, f"Unknown frequency “{frequency[:30]}”: use immediate, weekly or monthly."
    topic_slugs = [s.strip() for s in (values.get("topics") or "").split(";") if s.strip()]
    unknown = [s for s in topic_slugs if s not in slugs]
    if unknown:
        return False, f"Unknown topic “{unknown[0][:50]}”."
    with transaction.atomic():
        if Subscriber.objects.filter(email=email).exists():
            return False, "Already on the list: not changed."
        now = timezone.now()
        subscriber = Subscriber.objects.create(
            email=email,
            frequency=frequency,
            status=Subscriber.Status.CONFIRMED,
            source="import",
            confirmed_at=now,
            digested_until=now,
        )
        subscriber.topics.set([slugs[s] for s in topic_slugs])
        record(subscriber, SubscriptionConsent.Action.SUBSCRIBE, "import")
    return True, "Added."
