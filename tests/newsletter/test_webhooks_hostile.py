"""A hostile pass over every email service's webhook, with the right secret:
bodies that are not JSON or not UTF-8, JSON of the wrong shape, and each
documented payload with every field in turn replaced by a value of another
type (SNS envelopes with unknown message types included). None may answer a
5xx, which the service would retry for days: a body the parser cannot read
is a 400 with a log line, one it can read is handled (or ignored)."""

import base64
import collections
import copy
import hashlib
import hmac
import json
import logging
import time

import pytest
from django.test import Client

from newsletter.models import ProviderEvent

from .test_webhooks import ADDRESS, PAYLOADS, SECRET, SIGNING_KEY, auth

pytestmark = pytest.mark.django_db

WRONG_VALUES = [None, -1, 10**30, True, "", "x\x00é" * 100, [], {}, ["x", {"y": None}]]
RAW_BODIES = [b"", b"not json", b"\xff\xfe\x00", b"{", b"[]", b"null", b"1", b'"x"', b"{}",
              b"[1, 2]", b'{"a":' + b"[" * 50, b"[" * 2000 + b"]" * 2000]


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


def mutations(value, depth=0):
    """`value` with one field (at any depth up to 3) replaced by each wrong value."""
    if depth > 3:
        return
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return
    for key, inner in items:
        for wrong in WRONG_VALUES:
            mutated = copy.deepcopy(value)
            mutated[key] = wrong
            yield mutated
        if isinstance(value, dict):
            mutated = copy.deepcopy(value)
            del mutated[key]
            yield mutated
        for inner_mutation in mutations(inner, depth + 1):
            mutated = copy.deepcopy(value)
            mutated[key] = inner_mutation
            yield mutated


def hostile_bodies(provider):
    """(body bytes, extra request headers) for one provider."""
    for raw in RAW_BODIES:
        yield raw, sns_headers({}) if provider == "amazon_ses" else {}
    for kind in ("bounce", "complaint", "soft", "unsubscribe"):
        payload = PAYLOADS[provider](kind)
        if payload is None:
            continue
        for wrong in WRONG_VALUES:  # the whole body of the wrong type
            yield json.dumps(wrong).encode(), sns_headers({}) if provider == "amazon_ses" else {}
        yield from provider_mutations(provider, payload)


def provider_mutations(provider, payload):
    if provider == "amazon_ses":
        message = json.loads(payload["Message"])
        for mutated in mutations(message):
            envelope = {**payload, "Message": json.dumps(mutated)}
            yield json.dumps(envelope).encode(), sns_headers(envelope)
        for sns_type in ["SubscriptionConfirmation", "UnsubscribeConfirmation", "Unknown", "",
                         "Notification\r\nX: y"]:
            envelope = {**payload, "Type": sns_type}
            if sns_type == "SubscriptionConfirmation":
                envelope["TopicArn"] = "not-an-arn"  # a valid one would call AWS
            yield json.dumps(envelope).encode(), sns_headers(envelope)
        for mutated in mutations({k: v for k, v in payload.items() if k != "Message"}):
            mutated.setdefault("Message", payload["Message"])
            if mutated.get("Type") == "SubscriptionConfirmation":
                continue
            yield json.dumps(mutated).encode(), sns_headers(mutated)
        yield json.dumps({**payload, "Message": "not json"}).encode(), sns_headers(payload)
        return
    for mutated in mutations(payload):
        if provider == "mailgun" and isinstance(mutated, dict):
            mutated = resign(mutated)
        yield json.dumps(mutated).encode(), {}


def resign(payload):
    """Mailgun signs its webhooks: sign the mutated body again where it has a
    signature of the usual shape (else it is refused as unsigned, also fine)."""
    signature = payload.get("signature")
    if isinstance(signature, dict) and all(
        isinstance(signature.get(k), str) for k in ("timestamp", "token")
    ):
        signature["timestamp"] = str(int(time.time()))
        signature["signature"] = hmac.new(
            SIGNING_KEY.encode(),
            (signature["timestamp"] + signature["token"]).encode(),
            hashlib.sha256,
        ).hexdigest()
    return payload


def sns_headers(envelope):
    envelope = envelope if isinstance(envelope, dict) else {}
    sns_type, message_id = envelope.get("Type"), envelope.get("MessageId")
    headers = {}
    if isinstance(sns_type, str) and "\n" not in sns_type:
        headers["HTTP_X_AMZ_SNS_MESSAGE_TYPE"] = sns_type
    if isinstance(message_id, str):
        headers["HTTP_X_AMZ_SNS_MESSAGE_ID"] = message_id
    return headers


@pytest.mark.slow  # some 4,000 requests
@pytest.mark.parametrize("provider", sorted(PAYLOADS))
def test_a_hostile_pass_gets_no_5xx(provider, make_subscriber, caplog):
    make_subscriber(email=ADDRESS)
    client = Client(raise_request_exception=False)
    statuses = collections.Counter()
    server_errors = []
    with caplog.at_level(logging.WARNING):
        for body, headers in hostile_bodies(provider):
            content_type = "text/plain" if provider == "amazon_ses" else "application/json"
            response = client.post(
                f"/anymail/{provider}/tracking/", body, content_type=content_type,
                **auth(), **headers,
            )
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                server_errors.append(body[:300])
    assert not server_errors, f"{len(server_errors)} bodies got a 5xx, e.g. {server_errors[:3]}"
    assert sum(statuses.values()) >= 200, statuses
    assert statuses[400] >= len(RAW_BODIES), statuses
    # Every refusal is logged, saying which service and why.
    refusals = [r for r in caplog.records if "unreadable body" in r.getMessage()
                or r.name.startswith("django.security")]
    assert len(refusals) >= statuses[400], (len(refusals), statuses)
    print(f"{provider}: {dict(statuses)}")


def test_an_unreadable_body_is_a_400_with_a_log_line(caplog):
    with caplog.at_level(logging.WARNING):
        response = Client().post(
            "/anymail/postmark/tracking/", b"{not json", content_type="application/json", **auth()
        )
    assert response.status_code == 400
    (record,) = [r for r in caplog.records if r.name == "django.security.MalformedWebhook"]
    assert "Postmark webhook: unreadable body" in record.getMessage()
    assert not ProviderEvent.objects.exists()


def test_an_unknown_sns_message_type_is_a_400(caplog):
    envelope = {**PAYLOADS["amazon_ses"]("bounce"), "Type": "SomethingNew"}
    response = Client().post(
        "/anymail/amazon_ses/tracking/", json.dumps(envelope), content_type="text/plain",
        **auth(), **sns_headers(envelope),
    )
    assert response.status_code == 400
    assert "Unknown SNS message type" in caplog.text


def test_without_the_secret_a_hostile_body_is_still_401():
    wrong = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"x:y").decode()}
    for provider in PAYLOADS:
        response = Client().post(
            f"/anymail/{provider}/tracking/", b"\xff", content_type="application/json", **wrong
        )
        assert response.status_code == 401, provider
