"""Email services' tracking webhooks, with payloads in each service's documented
format: a hard bounce, a rejection or a complaint suppresses at once, soft
bounces are counted, "unsubscribed" unsubscribes; the same event twice changes
nothing; without the secret, 401 and nothing changes."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from newsletter.models import ProviderEvent, Suppression, email_hash

pytestmark = pytest.mark.django_db

SECRET = "anymail:Webhook-Secret-0f3c"
SIGNING_KEY = "key-mailgun-signing-0123456789"
ADDRESS = "reader@example.com"


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


@pytest.fixture
def reader(make_subscriber):
    return make_subscriber(email=ADDRESS)


def auth(secret=SECRET):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


# ------------------------------------------------------------- payloads
# Shapes as the services document them (field names, nesting, value types).


def postmark(kind, recipient=ADDRESS):
    if kind == "unsubscribe":
        # https://postmarkapp.com/developer/webhooks/subscription-change-webhook
        return {
            "RecordType": "SubscriptionChange",
            "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
            "ServerID": 123456,
            "MessageStream": "broadcast",
            "ChangedAt": "2026-11-30T10:53:34.416071Z",
            "Recipient": recipient,
            "Origin": "Recipient",
            "SuppressSending": True,
            "SuppressionReason": "ManualSuppression",
            "Tag": "digest",
            "Metadata": {},
        }
    record_type, bounce_type, code = {
        "bounce": ("Bounce", "HardBounce", 1),
        "soft": ("Bounce", "SoftBounce", 4096),
        "complaint": ("SpamComplaint", "SpamComplaint", 512),
    }[kind]
    # https://postmarkapp.com/developer/webhooks/bounce-webhook (and spam-complaint-webhook)
    return {
        "RecordType": record_type,
        "MessageStream": "broadcast",
        "ID": 4323372036854775807 if kind != "soft" else int(time.time() * 1000),
        "Type": bounce_type,
        "TypeCode": code,
        "Name": "Hard bounce",
        "Tag": "digest",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, "
        "mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": recipient,
        "From": "news@example.org",
        "BouncedAt": "2026-11-30T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Claims Portal news",
        "Content": "",
    }


def mailgun(kind, recipient=ADDRESS):
    # https://documentation.mailgun.com/docs/mailgun/user-manual/tracking-messages/#webhooks
    timestamp = str(int(time.time()))
    token = hashlib.sha256(f"{kind}{recipient}{time.time_ns()}".encode()).hexdigest()[:50]
    signature = hmac.new(
        SIGNING_KEY.encode(), (timestamp + token).encode(), hashlib.sha256
    ).hexdigest()
    event = {
        "bounce": {"event": "failed", "severity": "permanent", "reason": "bounce"},
        "soft": {"event": "failed", "severity": "temporary", "reason": "generic"},
        "complaint": {"event": "complained"},
        "unsubscribe": {"event": "unsubscribed"},
    }[kind]
    data = {
        **event,
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "timestamp": time.time(),
        "log-level": "error" if kind in ("bounce", "soft") else "warn",
        "recipient": recipient,
        "recipient-domain": recipient.split("@")[1],
        "tags": ["digest"],
        "user-variables": {},
        "envelope": {"sender": "news@example.org", "transport": "smtp", "targets": recipient},
        "message": {"headers": {"to": recipient, "message-id": "20261130.1@example.org",
                                "from": "news@example.org", "subject": "Claims Portal news"},
                    "attachments": [], "size": 111},
        "flags": {"is-routed": False, "is-authenticated": True, "is-test-mode": False},
    }
    if kind in ("bounce", "soft"):
        data["delivery-status"] = {
            "attempt-no": 1,
            "message": "No Such User Here" if kind == "bounce" else "Mailbox full",
            "code": 550 if kind == "bounce" else 452,
            "description": "",
            "session-seconds": 0.1,
        }
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": data,
    }


def sendgrid(kind, recipient=ADDRESS):
    # https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event
    event = {
        "email": recipient,
        "timestamp": int(time.time()),
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "category": ["digest"],
        "sg_event_id": "rWVYmVk90MjZJ9iohOBa3w==",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
    }
    if kind == "bounce":
        event |= {"event": "bounce", "type": "bounce", "reason": "500 unknown recipient",
                  "status": "5.0.0", "bounce_classification": "Invalid Address"}
    elif kind == "soft":
        event |= {"event": "deferred", "response": "400 try again later", "attempt": "5",
                  "sg_event_id": f"deferred-{time.time_ns()}"}
    elif kind == "complaint":
        event |= {"event": "spamreport", "sg_event_id": "SYDy7d-eSv6IT4Xl9-iTbg=="}
    else:
        event |= {"event": "unsubscribe", "sg_event_id": "Vwg4H9hvTsSFFSi5vmMdGg=="}
    return [event]


def brevo(kind, recipient=ADDRESS):
    # https://developers.brevo.com/docs/transactional-webhooks
    event = {
        "bounce": "hard_bounce", "soft": "soft_bounce", "complaint": "spam",
        "unsubscribe": "unsubscribe",
    }[kind]
    payload = {
        "event": event,
        "email": recipient,
        "id": 26224,
        "date": "2026-11-30 10:00:00",
        "ts": 1796000000,
        "message-id": "<202611301000.5787683@smtp-relay.mailin.fr>",
        "ts_event": 1796000000,
        "subject": "Claims Portal news",
        "tag": "digest",
        "sending_ip": "185.41.28.109",
        "ts_epoch": int(time.time() * 1000) + (time.time_ns() % 1000 if kind == "soft" else 0),
    }
    if kind in ("bounce", "soft"):
        payload["reason"] = "550 5.1.1 user unknown" if kind == "bounce" else "452 mailbox full"
    return payload


def amazon_ses(kind, recipient=ADDRESS):
    # https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html
    mail = {
        "timestamp": "2026-11-30T00:40:02.012Z",
        "source": "Claims Portal <news@example.org>",
        "sendingAccountId": "123456789012",
        "messageId": "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
        "destination": [recipient],
        "headersTruncated": False,
        "headers": [],
        "commonHeaders": {"from": ["news@example.org"], "to": [recipient],
                          "subject": "Claims Portal news"},
    }
    if kind in ("bounce", "soft"):
        message = {
            "eventType": "Bounce",
            "bounce": {
                "bounceType": "Permanent" if kind == "bounce" else "Transient",
                "bounceSubType": "General" if kind == "bounce" else "MailboxFull",
                "bouncedRecipients": [{
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": "5.1.1" if kind == "bounce" else "4.2.2",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }],
                "timestamp": "2026-11-30T00:41:02.669Z",
                "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
                "reportingMTA": "dsn; mta.example.com",
            },
            "mail": mail,
        }
    elif kind == "complaint":
        message = {
            "eventType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": recipient}],
                "timestamp": "2026-11-30T00:41:02.669Z",
                "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000001",
                "userAgent": "Mozilla/5.0",
                "complaintFeedbackType": "abuse",
                "arrivalDate": "2026-11-30T00:40:02.000Z",
            },
            "mail": mail,
        }
    else:
        return None  # SES reports no unsubscribes (it does not run the list)
    message_id = f"22b80b92-fdea-4c2c-8f9d-{kind}-{time.time_ns()}"
    if kind != "soft":
        message_id = f"22b80b92-fdea-4c2c-8f9d-{kind}"
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": "arn:aws:sns:eu-west-2:123456789012:ses-events",
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(message),
        "Timestamp": "2026-11-30T00:41:03.012Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQ==",
        "SigningCertURL": "https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-f3ecfb"
        "7224c7233fe7bb5f59f96de52f.pem",
        "UnsubscribeURL": "https://sns.eu-west-2.amazonaws.com/?Action=Unsubscribe",
    }


PAYLOADS = {
    "postmark": postmark,
    "mailgun": mailgun,
    "sendgrid": sendgrid,
    "brevo": brevo,
    "amazon_ses": amazon_ses,
}


def post(provider, payload, headers=None):
    extra = dict(headers if headers is not None else auth())
    if provider == "amazon_ses":
        extra |= {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": payload["Type"],
                  "HTTP_X_AMZ_SNS_MESSAGE_ID": payload["MessageId"]}
        body, content_type = json.dumps(payload), "text/plain; charset=UTF-8"
    else:
        body, content_type = json.dumps(payload), "application/json"
    return Client().post(
        f"/anymail/{provider}/tracking/", body, content_type=content_type, **extra
    )


def cases(*kinds):
    return [
        pytest.param(provider, kind, id=f"{provider}-{kind}")
        for provider in PAYLOADS
        for kind in kinds
        if not (provider == "amazon_ses" and kind == "unsubscribe")
    ]


@pytest.mark.parametrize("provider, kind", cases("bounce", "complaint"))
def test_hard_bounce_and_complaint_suppress_at_once_and_only_once(reader, provider, kind):
    payload = PAYLOADS[provider](kind)
    for _ in range(2):  # the service retries: the second time changes nothing
        response = post(provider, payload)
        assert response.status_code == 200, response.content
    reader.refresh_from_db()
    assert reader.status == "suppressed"
    suppression = Suppression.objects.get(email_hash=email_hash(ADDRESS))
    assert suppression.reason == ("bounced" if kind == "bounce" else "complained")
    assert suppression.provider == provider and suppression.event_id
    assert ProviderEvent.objects.count() == 1
    assert [c.action for c in reader.consents.all()] == ["suppress"]
    assert reader.consents.get().source == "provider"


@pytest.mark.parametrize("provider, kind", cases("unsubscribe"))
def test_unsubscribed_event_unsubscribes(reader, provider, kind):
    payload = PAYLOADS[provider](kind)
    for _ in range(2):
        assert post(provider, payload).status_code == 200
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"
    assert [c.action for c in reader.consents.all()] == ["unsubscribe"]
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("provider, kind", cases("bounce", "complaint", "unsubscribe"))
@pytest.mark.parametrize(
    "headers", [{}, auth("anymail:wrong")], ids=["no-secret", "wrong-secret"]
)
def test_without_the_secret_401_and_nothing_changes(reader, provider, kind, headers):
    for _ in range(2):
        response = post(provider, PAYLOADS[provider](kind), headers=headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Basic")
    reader.refresh_from_db()
    assert reader.status == "confirmed"
    assert not Suppression.objects.exists() and not ProviderEvent.objects.exists()


def test_with_no_secret_configured_the_webhooks_are_closed(reader, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    response = post("postmark", postmark("bounce"), headers=auth(":"))
    assert response.status_code == 401
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("provider", list(PAYLOADS))
def test_soft_bounces_suppress_after_the_limit(reader, provider, settings):
    settings.NEWSLETTER_SOFT_BOUNCE_LIMIT = 3
    for n in range(3):
        assert post(provider, PAYLOADS[provider]("soft")).status_code == 200
        reader.refresh_from_db()
        assert reader.status == ("suppressed" if n == 2 else "confirmed"), n
    assert ProviderEvent.objects.filter(kind="soft").count() == 3
    assert Suppression.objects.get().reason == "soft"


def test_an_address_not_on_the_list_is_suppressed_for_later_imports(db):
    assert post("postmark", postmark("bounce", "stranger@exämple.org")).status_code == 200
    assert Suppression.objects.for_address("stranger@xn--exmple-cua.org").exists()


def test_a_suppressed_address_gets_no_more_digests(reader, make_item, mailoutbox):
    from newsletter import digests, schedules

    post("sendgrid", sendgrid("complaint"))
    make_item()
    digest = schedules.forced_digest("weekly")
    assert digests.build(digest.pk) == 0
    assert mailoutbox == []


def test_webhook_query_count(reader, django_assert_max_num_queries):
    # Nine statements (the digest it is about, event, suppression, subscriber,
    # consent entry) and five savepoints.
    with django_assert_max_num_queries(14):
        assert post("postmark", postmark("bounce")).status_code == 200
