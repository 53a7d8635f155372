"""How a chunk's messages leave (newsletter.sending decides which to send and
when; a transport sends them and reports each delivery's outcome):

- SmtpTransport: MIME bytes over one SMTP connection, each delivery marked
  sent the moment the server accepts it (newsletter.fast_send).
- BatchTransport: an email service's batch API through Anymail: one message
  per variant for up to NEWSLETTER_BATCH_SIZE recipients, personalised by the
  service from merge_data and merge_headers, each delivery marked from the
  service's answer for its recipient.
- OneByOneTransport: any other mailer (an email service whose Anymail backend
  needs a stored template for per-recipient content, the console…), one
  ordinary message at a time."""

import logging
import smtplib
from dataclasses import dataclass, field

from anymail.backends.base import AnymailBaseBackend
from anymail.exceptions import AnymailError, AnymailInvalidAddress, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

from . import fast_send
from .emails import mailer
from .sending import PERMANENT, classify

log = logging.getLogger(__name__)

# The digest's status and the rate limit are checked before every this many
# SMTP messages (and before every batch call of the other transports).
SMTP_BATCH = 100
ONE_BY_ONE_BATCH = 20
BATCHES_PER_CHUNK = 4


@dataclass(frozen=True)
class BatchApi:
    """How Anymail batch-sends through a service with content of our own:
    how a per-recipient merge field is written in the message, and the most
    recipients the service takes in one call."""

    merge_field: str
    max_recipients: int
    esp_extra: dict = field(default_factory=dict)


# By Anymail's esp_name. Postmark and Amazon SES are not here: Anymail only
# sends them per-recipient content through a template stored at the service.
BATCH_APIS = {
    "Mailgun": BatchApi("%recipient.{}%", 1000),
    "SendGrid": BatchApi("-{}-", 1000, {"merge_field_format": "-{}-"}),
    "Brevo": BatchApi("{{{{params.{}}}}}", 1000),
}

# Anymail's per-recipient answers that mean the service took the message.
ACCEPTED = {"queued", "sent", "unknown", None}
# … that mean it never will (the address is suppressed there, or malformed).
REFUSED = {"rejected", "invalid"}


def transport_for():
    connection = mailer()
    if isinstance(connection, SMTPBackend):
        return SmtpTransport(connection)
    api = BATCH_APIS.get(getattr(connection, "esp_name", None))
    if isinstance(connection, AnymailBaseBackend) and api is not None:
        return BatchTransport(connection, api)
    return OneByOneTransport(connection)


class SmtpTransport:
    def __init__(self, connection):
        self.connection = connection
        self.chunk_size = settings.NEWSLETTER_CHUNK_SIZE

    def send(self, chunk):
        try:
            self.connection.open()
        except OSError as error:
            log.warning("Cannot reach the mail server: %s", error)
            chunk.retry_the_rest(str(error))
            return
        try:
            self._send(chunk, fast_send.SmtpByteSender(self.connection))
        finally:
            try:
                self.connection.close()
            except (smtplib.SMTPException, OSError):
                pass

    def _send(self, chunk, sender):
        renderer = chunk.renderer
        with fast_send.sent_marks() as mark_sent:
            for batch in chunk.batches(SMTP_BATCH):
                for job in batch:
                    subscriber = job.subscriber
                    try:
                        data = renderer.message_bytes(subscriber, job.items, job.sections)
                        if data is not None:
                            sender.send(subscriber.email, data)
                        else:
                            self.connection.send_messages(
                                [renderer.message(subscriber, job.items, job.sections)]
                            )
                    except ValueError as error:
                        chunk.refused(job.delivery, error)
                        continue
                    except (smtplib.SMTPException, OSError) as error:
                        kind, text = classify(error, subscriber.email)
                        if kind == PERMANENT:
                            chunk.rejected_permanently(job.delivery, text)
                            continue
                        lost = isinstance(error, smtplib.SMTPServerDisconnected) or not isinstance(
                            error, smtplib.SMTPException
                        )
                        if lost:  # the connection is gone: give the rest of the chunk back
                            chunk.retry_the_rest(text)
                            return
                        chunk.retry([job.delivery], text)
                        continue
                    mark_sent(job.delivery.pk)
                    chunk.marked_sent(job.delivery)


class BatchTransport:
    def __init__(self, connection, api):
        self.connection = connection
        self.api = api
        self.batch_size = min(settings.NEWSLETTER_BATCH_SIZE, api.max_recipients)
        # A digest has a few variants (lists of items); a chunk several
        # batches' worth, so that each variant's calls are full.
        self.chunk_size = max(settings.NEWSLETTER_CHUNK_SIZE, BATCHES_PER_CHUNK * self.batch_size)

    def send(self, chunk):
        for jobs in chunk.batches(self.batch_size, variants=True):
            self._send(chunk, jobs)

    def _send(self, chunk, jobs):
        """One call for jobs of one variant. A request the service refuses as
        a whole (Mailgun answers 400 for one malformed address among many) is
        split in two until the culprit is alone."""
        try:
            message = chunk.renderer.batch_message(
                jobs[0].items, [job.subscriber for job in jobs], self.api.merge_field,
                jobs[0].sections,
            )
        except ValueError as error:
            for job in jobs:
                if "\r" in job.subscriber.email or "\n" in job.subscriber.email:
                    chunk.refused(job.delivery, error)
            rest = [job for job in jobs if job.delivery.pk not in chunk.settled]
            if rest:
                self._send(chunk, rest)
            return
        if self.api.esp_extra:
            message.esp_extra = self.api.esp_extra
        try:
            self.connection.send_messages([message])
        except AnymailRecipientsRefused:
            pass  # every recipient refused: the answers are on the message
        except (AnymailError, OSError) as error:
            status = getattr(error, "status_code", None)
            refused_whole = isinstance(error, AnymailInvalidAddress) or status in (400, 422)
            if refused_whole and len(jobs) > 1:
                half = len(jobs) // 2
                self._send(chunk, jobs[:half])
                self._send(chunk, jobs[half:])
            elif refused_whole:
                chunk.rejected_permanently(
                    jobs[0].delivery, f"Refused: {error}"[:500], "invalid"
                )
            else:
                chunk.retry([job.delivery for job in jobs], f"{status or ''} {error}".strip())
            return
        record_answers(chunk, jobs, message)


def record_answers(chunk, jobs, message):
    """Each delivery gets the service's answer for its recipient."""
    answers = getattr(message, "anymail_status", None)
    recipients = answers.recipients if answers is not None else {}
    accepted, temporary = [], []
    for job in jobs:
        answer = recipients.get(job.subscriber.email)
        status = answer.status if answer is not None else "accepted"
        message_id = answer.message_id if answer is not None else ""
        if answer is None or status in ACCEPTED:
            accepted.append((job.delivery, status or "unknown", message_id))
        elif status in REFUSED:
            chunk.rejected_permanently(
                job.delivery, f"Refused by the email service: {status}", status
            )
        else:  # "failed": the service could not send it this time
            temporary.append(job.delivery)
    if accepted:
        chunk.accepted(accepted)
    if temporary:
        chunk.retry(temporary, "The email service could not send it (failed).")


class OneByOneTransport:
    def __init__(self, connection):
        self.connection = connection
        self.chunk_size = settings.NEWSLETTER_CHUNK_SIZE

    def send(self, chunk):
        renderer = chunk.renderer
        for batch in chunk.batches(ONE_BY_ONE_BATCH):
            for job in batch:
                try:
                    message = renderer.message(job.subscriber, job.items, job.sections)
                    self.connection.send_messages([message])
                except ValueError as error:
                    chunk.refused(job.delivery, error)
                    continue
                except AnymailRecipientsRefused:
                    pass  # the answer is on the message
                except (smtplib.SMTPException, OSError, AnymailError) as error:
                    kind, text = classify(error, job.subscriber.email)
                    if kind == PERMANENT:
                        chunk.rejected_permanently(job.delivery, text)
                    else:
                        chunk.retry([job.delivery], text)
                    continue
                record_answers(chunk, [job], message)
