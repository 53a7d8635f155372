"""The SMTP fast path of digest sending, in one place:

- MessageTemplate: one variant of a digest as MIME bytes, made once (Django's
  EmailMessage encodes and checks every shared header; the bodies are
  quoted-printable encoded once) with gaps where each recipient's address,
  Message-ID and links go. A recipient's copy is a join of bytes.
- SmtpByteSender: sends finished bytes over an open SMTP backend's connection.
- sent_marks(): records each message as sent the moment the mail server has
  accepted it, on a database connection of its own, without waiting for the
  database. It is the only code in the newsletter that talks to the database
  driver directly, and it shares nothing with Django's connection.

Only over SMTP: an email service's API backend (Anymail) is given ordinary
EmailMessages (newsletter.emails.DigestRenderer)."""

import binascii
import email.policy
import email.quoprimime
import re
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection as db_connection
from django.utils import timezone

from .models import Delivery

# Markers in the skeleton message, swapped for each recipient's values.
TO_MARK = "recipient@placeholder.invalid"
MESSAGE_ID_MARK = "<message-id@placeholder.invalid>"
TEXT_MARK = "@@text-body-placeholder@@"
HTML_MARK = "@@html-body-placeholder@@"
CTE_7BIT = b"Content-Transfer-Encoding: 7bit\r\n"
CTE_QP = b"Content-Transfer-Encoding: quoted-printable\r\n"
SOFT_BREAK = b"=\r\n"


# ---------------------------------------------------------------- messages as bytes


class MessageTemplate:
    """One variant's message with gaps for each recipient's values.

    `headers` may hold the recipient's Message-ID as MESSAGE_ID_MARK and any of
    `fields` (placeholder strings, such as a link) in their values; the text
    and HTML bodies hold `fields` too. Each static stretch of a body is
    quoted-printable encoded once; a recipient's value goes in between two
    soft line breaks ("=" CRLF, which decoding removes), so no line grows
    past 76 characters and the decoded body is exactly the personal one.

    make() returns None when Django's encoding of the shared headers leaves
    no room for the markers (then the message is built the ordinary way)."""

    def __init__(self, parts, fields):
        self.parts = parts  # bytes, or (where, field) for a gap
        self.fields = fields

    @classmethod
    def make(cls, subject, from_email, headers, text, html, fields):
        message = EmailMultiAlternatives(
            subject, TEXT_MARK, from_email, [TO_MARK], headers=headers
        )
        message.attach_alternative(HTML_MARK, "text/html")
        raw = message.message(policy=email.policy.SMTP).as_bytes()
        # The body markers are short ASCII lines, so Django sends them as 7bit.
        if raw.count(CTE_7BIT) != 2 or raw.count(TEXT_MARK.encode()) != 1:
            return None
        raw = raw.replace(CTE_7BIT, CTE_QP)
        head, rest = raw.split(TEXT_MARK.encode())
        middle, tail = rest.split(HTML_MARK.encode())
        header_marks = [TO_MARK, MESSAGE_ID_MARK, *fields]
        parts = _split(head, header_marks, "header")
        if parts is None or any(("header", mark) not in parts for mark in header_marks[:2]):
            return None
        parts += _body_parts(text, fields)
        parts.append(_after(text, middle))
        parts += _body_parts(html, fields)
        parts.append(_after(html, tail))
        return cls(parts, fields)

    def fill(self, to, message_id, values):
        """The recipient's message: `values` maps each field to its value."""
        header = {TO_MARK: to.encode(), MESSAGE_ID_MARK: message_id.encode()}
        header.update((field, value.encode()) for field, value in values.items())
        body = {field: _quoted(value) for field, value in values.items()}
        gaps = {"header": header, "body": body}
        return b"".join(
            part if isinstance(part, bytes) else gaps[part[0]][part[1]] for part in self.parts
        )


def _after(body, following):
    """What follows a body in the skeleton: Django ended the marker's line,
    which a body that ends with a line break has already done."""
    if body.endswith("\n") and following.startswith(b"\r\n"):
        return following[2:]
    return following


def _split(data, marks, where):
    """`data` cut at each of `marks` (each at most once), the marks as gaps;
    None if a mark appears twice."""
    parts = [data]
    for mark in marks:
        encoded = mark.encode()
        cut = []
        for part in parts:
            if isinstance(part, bytes) and encoded in part:
                pieces = part.split(encoded)
                if len(pieces) != 2:
                    return None
                cut += [pieces[0], (where, mark), pieces[1]]
            else:
                cut.append(part)
        parts = cut
    return parts


def _body_parts(text, fields):
    """A body quoted-printable encoded, cut at every occurrence of the fields."""
    canonical = text.replace("\r\n", "\n").replace("\n", "\r\n")
    pieces = [canonical]
    for field in fields:
        cut = []
        for piece in pieces:
            is_text = isinstance(piece, str)
            cut += _interleave(piece.split(field), ("body", field)) if is_text else [piece]
        pieces = cut
    parts = []
    for index, piece in enumerate(pieces):
        if index:
            parts.append(SOFT_BREAK)
        if isinstance(piece, str):
            encoded = binascii.b2a_qp(piece.encode(), istext=True)
            # b2a_qp breaks lines as its input does (LF when it has no CRLF).
            piece = encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        parts.append(piece)
    return parts


def _interleave(pieces, gap):
    result = [pieces[0]]
    for piece in pieces[1:]:
        result += [gap, piece]
    return result


def _quoted(value):
    # Links are ASCII; quoted-printable wraps them at 76 with soft breaks.
    return email.quoprimime.body_encode(value, eol="\r\n").encode()


# A plain addr-spec: a dot-atom local part and a domain name, ASCII, nothing
# else (no space, quote, comma, angle bracket or line break).
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")


class SmtpByteSender:
    """Sends finished MIME bytes over an open Django SMTP backend's connection:
    the explicit interface for prebuilt messages, where Django's send_messages()
    would build each message again. A plain address goes into the envelope as
    it is; any other goes through the backend's own prep_address(), which
    parses it fully and refuses line breaks (a tenth of a millisecond a
    message, which the plain addresses of a list need not pay)."""

    def __init__(self, backend):
        self.backend = backend
        self.envelope_from = backend.prep_address(settings.DEFAULT_FROM_EMAIL)

    @classmethod
    def for_connection(cls, backend):
        """A sender, or None when the mailer is not SMTP."""
        return cls(backend) if isinstance(backend, SMTPBackend) else None

    def envelope(self, address):
        if PLAIN_ADDRESS.fullmatch(address):
            return address
        return self.backend.prep_address(address)

    def send(self, recipient, data):
        self.backend.connection.sendmail(self.envelope_from, [self.envelope(recipient)], data)


# ---------------------------------------------------------------- sent marks


@contextmanager
def sent_marks():
    """Yields mark(delivery_pk), which records a delivery as sent.

    On PostgreSQL the marks go through a connection of their own that this
    context opens and closes, in libpq's pipeline mode with synchronous_commit
    off: each mark is sent at once as an UPDATE and a sync point (which
    commits it), and the replies are read as they arrive, so the worker never
    waits for the database between messages. The server runs and commits a
    statement it has received even if this worker dies a moment later, so a
    crash repeats at most the message in flight; only a database crash could
    lose the last fraction of a second of marks. The connection is the marks'
    alone: no other query can run into a mark still in flight.

    Inside a transaction (the tests') or on another database the marks are
    plain UPDATEs through Django's connection, which sees the same rows."""
    if db_connection.vendor != "postgresql" or db_connection.in_atomic_block:
        yield _mark_through_django
        return
    raw = db_connection.get_new_connection(db_connection.get_connection_params())
    try:
        raw.autocommit = True
        raw.execute("SET synchronous_commit TO OFF")
        marks = _PipelinedMarks(raw.pgconn)
        try:
            yield marks.mark
        finally:
            marks.close()
    finally:
        raw.close()


SENT = {"status": Delivery.Status.SENT, "error": "", "provider_status": "accepted"}


def _mark_through_django(delivery_pk):
    Delivery.objects.filter(pk=delivery_pk).update(sent_at=timezone.now(), **SENT)


class _PipelinedMarks:
    NAME = b"newsletter_mark_sent"
    SQL = (
        f"UPDATE {Delivery._meta.db_table} SET status = '{SENT['status']}', sent_at = $1, "
        f"error = '', provider_status = '{SENT['provider_status']}' WHERE id = $2"
    ).encode()

    def __init__(self, pgconn):
        from psycopg import pq

        self.pq = pq
        self.pgconn = pgconn
        self._check(pgconn.prepare(self.NAME, self.SQL))
        pgconn.enter_pipeline_mode()
        self.in_flight = 0  # sync points whose reply has not been read

    def mark(self, delivery_pk):
        self.pgconn.send_query_prepared(
            self.NAME, [timezone.now().isoformat().encode(), str(delivery_pk).encode()]
        )
        self.pgconn.pipeline_sync()
        while self.pgconn.flush():  # until every byte of it is out
            pass
        self.in_flight += 1
        self._read(wait=False)

    def close(self):
        self._read(wait=True)
        self.pgconn.exit_pipeline_mode()

    def _read(self, wait):
        """Read the replies that have arrived (all of them, if `wait`)."""
        while self.in_flight:
            if not wait:
                self.pgconn.consume_input()
                if self.pgconn.is_busy():
                    return
            result = self.pgconn.get_result()
            if result is None:  # the end of one statement's results
                continue
            if result.status == self.pq.ExecStatus.PIPELINE_SYNC:
                self.in_flight -= 1
            else:
                self._check(result)

    def _check(self, result):
        if result.status != self.pq.ExecStatus.COMMAND_OK:
            message = (result.error_message or b"").decode(errors="replace")
            raise RuntimeError(f"Marking a delivery sent failed: {message}")
