"""CSV downloads for staff: streamed a row at a time (exports of 50,000 rows
are never all in memory), every cell safe to open in a spreadsheet."""

import csv

from django.http import StreamingHttpResponse

# OWASP's list: a cell starting with one of these is run as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A cell a spreadsheet will show as text, never run as a formula: a
    leading = + - @ tab or carriage return gets a quote in front."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _Echo:
    """A file-like object whose write() returns the line."""

    def write(self, value):
        return value


def csv_lines(header, rows):
    """CSV text a line at a time: the header, then each row with safe cells."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def csv_download(filename, header, rows):
    """A streamed CSV attachment of `rows` (an iterable of sequences)."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
