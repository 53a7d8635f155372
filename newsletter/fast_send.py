"""The fast path of digest sending, in one place: messages assembled as bytes
from a skeleton made once per variant, sent as bytes over the SMTP connection,
and each "sent" mark written without waiting for the database. This module is
the only one in the newsletter that talks to the database driver directly.

Only over SMTP: an email service's API backend (Anymail) is given ordinary
EmailMessages (newsletter.emails.DigestRenderer.message)."""

import base64
import email.policy
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection as db_connection
from django.utils import timezone

from .models import Delivery

TO_MARK = "recipient@placeholder.invalid"
MESSAGE_ID_MARK = "<message-id@placeholder.invalid>"
UNSUBSCRIBE_MARK = "https://placeholder.invalid/unsubscribe"
TEXT_MARK = "@@text-body-placeholder@@"
HTML_MARK = "@@html-body-placeholder@@"


# ---------------------------------------------------------------- messages as bytes


def skeleton(subject, from_email, headers):
    """A variant's whole message as bytes, built once by Django's EmailMessage
    (so every shared header is encoded and checked), with markers where each
    recipient's address, Message-ID, unsubscribe link and bodies go; None if
    Django's encoding leaves no room for them (the message is then built the
    ordinary way). `headers` must use MESSAGE_ID_MARK and UNSUBSCRIBE_MARK."""
    message = EmailMultiAlternatives(subject, TEXT_MARK, from_email, [TO_MARK], headers=headers)
    message.attach_alternative(HTML_MARK, "text/html")
    raw = message.message(policy=email.policy.SMTP).as_bytes()
    # The markers are short ASCII lines, so Django sends them as 7bit; each
    # recipient's bodies go in as base64 instead.
    cte = b"Content-Transfer-Encoding: 7bit\r\n"
    if raw.count(cte) != 2 or raw.count(TEXT_MARK.encode()) != 1:
        return None
    return raw.replace(cte, b"Content-Transfer-Encoding: base64\r\n")


def fill(skeleton_bytes, to, message_id, unsubscribe, text, html):
    """One recipient's message from the skeleton."""
    return (
        skeleton_bytes.replace(TO_MARK.encode(), to.encode(), 1)
        .replace(MESSAGE_ID_MARK.encode(), message_id.encode(), 1)
        .replace(UNSUBSCRIBE_MARK.encode(), unsubscribe.encode(), 1)
        .replace(TEXT_MARK.encode(), _base64(text), 1)
        .replace(HTML_MARK.encode(), _base64(html), 1)
    )


def _base64(text):
    # Canonical CRLF line breaks (RFC 2045), 76-character lines, without the
    # final line break (the skeleton has it).
    canonical = text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
    return base64.encodebytes(canonical).replace(b"\n", b"\r\n")[:-2]


class SmtpByteSender:
    """Sends finished MIME bytes over an open Django SMTP backend's connection:
    the explicit interface for prebuilt messages, where Django's send_messages()
    would build each message again. The envelope addresses go through the
    backend's own prep_address() (which refuses line breaks)."""

    def __init__(self, backend):
        self.backend = backend
        self.envelope_from = backend.prep_address(settings.DEFAULT_FROM_EMAIL)

    @classmethod
    def for_connection(cls, backend):
        """A sender, or None when the mailer is not SMTP."""
        return cls(backend) if isinstance(backend, SMTPBackend) else None

    def send(self, recipient, data):
        self.backend.connection.sendmail(
            self.envelope_from, [self.backend.prep_address(recipient)], data
        )


# ---------------------------------------------------------------- sent marks


@contextmanager
def fast_commits():
    """On PostgreSQL, don't wait for the disk on each "sent" mark. A worker crash
    loses nothing (the server has the commit); only a database crash could lose
    the last fraction of a second of marks, which at worst repeats those messages.
    Without it every message would wait for a disk flush."""
    if db_connection.vendor != "postgresql":
        yield
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with db_connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


class SentMarks:
    """Marks deliveries sent, one UPDATE per message, issued the moment the mail
    server has accepted it.

    On PostgreSQL the UPDATE is sent without waiting for the reply, which is
    collected before the next statement: the next message's SMTP exchange
    overlaps the database round trip. The server runs and commits a statement
    it has received even if this worker dies a moment later, so a crash still
    repeats at most the message in flight. Elsewhere it is a plain UPDATE."""

    TABLE = Delivery._meta.db_table
    PG_SQL = f"UPDATE {TABLE} SET status = 'sent', sent_at = $1, error = '' WHERE id = $2".encode()

    def __init__(self):
        self.pgconn = None
        self.waiting = False
        if db_connection.vendor == "postgresql":
            db_connection.ensure_connection()
            if not db_connection.in_atomic_block:
                self.pgconn = db_connection.connection.pgconn
        self.cursor = None if self.pgconn else db_connection.cursor()

    def mark(self, delivery):
        now = timezone.now()
        if self.pgconn is None:
            self.cursor.execute(
                f"UPDATE {self.TABLE} SET status = %s, sent_at = %s, error = '' WHERE id = %s",
                [
                    Delivery.Status.SENT,
                    db_connection.ops.adapt_datetimefield_value(now),
                    delivery.pk,
                ],
            )
            return
        self.collect()
        self.pgconn.send_query_params(
            self.PG_SQL, [now.isoformat().encode(), str(delivery.pk).encode()]
        )
        while self.pgconn.flush():  # until every byte of the statement is out
            pass
        self.waiting = True

    def collect(self):
        """Wait for the last statement's reply; call before any other query."""
        if not self.waiting:
            return
        self.waiting = False
        from psycopg import pq

        failure = None
        while (result := self.pgconn.get_result()) is not None:
            if result.status != pq.ExecStatus.COMMAND_OK:
                failure = (result.error_message or b"").decode(errors="replace")
        if failure:
            raise RuntimeError(f"Marking a delivery sent failed: {failure}")

    def close(self):
        self.collect()
        if self.cursor is not None:
            self.cursor.close()
