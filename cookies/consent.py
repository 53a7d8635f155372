"""The visitor's consent: reading and writing the consent cookie.

The cookie is signed with Django's signing framework and holds the consent id,
the policy version, the time and the choice per non-essential category. It is
readable by the site's script (not HttpOnly), because public pages are the
same for everyone and the script decides there whether to show the banner and
which consent-gated scripts to run (static/js/cookies.js); the server reads it
only on private pages (/cookies/). A value that is missing, malformed,
tampered with, too old, for an older policy version or silent about a category
added since counts as no consent.

Global Privacy Control (Sec-GPC: 1, or navigator.globalPrivacyControl in the
browser) counts as a "No" to every non-essential category; only a "Yes" chosen
on the cookies page overrides it.
"""

import dataclasses
import time
import uuid

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from .models import ConsentPolicy, ConsentRecord, CookieCategory, CookieDeclaration

SALT = "cookies.consent"
POLICY_CACHE_KEY = "cookies:policy"
POLICY_CACHE_SECONDS = 300
# The surrogate key of every page carrying the banner (common.page_cache).
POLICY_KEY = "cookies-policy"
MAX_COOKIE_LENGTH = 1024
# After saving on the cookies page (a form), that page shows a confirmation once.
FLASH_COOKIE = "cookie_consent_saved"


def cookie_name():
    return settings.COOKIE_CONSENT_NAME


def lifetime_seconds():
    return settings.COOKIE_CONSENT_MAX_AGE_DAYS * 24 * 60 * 60


@dataclasses.dataclass(frozen=True)
class Policy:
    """What every page's banner needs: the same for every visitor."""

    version: int
    # (slug, name) of the non-essential categories that declare cookies, in order.
    # A category declaring none (Marketing by default) is left out of the banner
    # and of consent; once it declares a cookie everyone is asked again.
    optional: tuple

    @property
    def optional_slugs(self):
        return tuple(slug for slug, _ in self.optional)


def _load_policy():
    version = ConsentPolicy.objects.values_list("version", flat=True).order_by("pk").first()
    optional = tuple(
        CookieCategory.objects.optional()
        .with_declaration_count()
        .filter(declaration_count__gt=0)
        .values_list("slug", "name")
    )
    return Policy(version=version or 1, optional=optional)


def current_policy():
    return cache.get_or_set(POLICY_CACHE_KEY, _load_policy, POLICY_CACHE_SECONDS)


def forget_policy():
    """Called when categories, declarations or the policy version change."""
    cache.delete(POLICY_CACHE_KEY)


@dataclasses.dataclass(frozen=True)
class Consent:
    consent_id: str
    version: int
    given_at: int
    choices: dict
    # True when each category was chosen on the cookies page, not by the banner.
    per_category: bool = False


def _valid_shape(data):
    if not isinstance(data, dict) or set(data) != {"i", "v", "t", "c", "p"}:
        return False
    choices = data["c"]
    return (
        isinstance(data["i"], str)
        and len(data["i"]) == 32
        and all(ch in "0123456789abcdef" for ch in data["i"])
        and type(data["v"]) is int
        and type(data["t"]) is int
        and type(data["p"]) is bool
        and isinstance(choices, dict)
        and len(choices) <= 50
        and all(isinstance(k, str) and type(v) is bool for k, v in choices.items())
    )


def parse(value):
    """The Consent in a cookie value, or None when it is missing, bad or expired."""
    if not value or len(value) > MAX_COOKIE_LENGTH:
        return None
    try:
        data = signing.loads(value, salt=SALT, max_age=lifetime_seconds())
    except signing.BadSignature:  # tampered with, malformed or expired
        return None
    if not _valid_shape(data):
        return None
    return Consent(data["i"], data["v"], data["t"], data["c"], data["p"])


def serialise(consent):
    data = {
        "i": consent.consent_id,
        "v": consent.version,
        "t": consent.given_at,
        "c": consent.choices,
        "p": consent.per_category,
    }
    return signing.dumps(data, salt=SALT)


def is_current(consent, policy, now=None):
    now = time.time() if now is None else now
    return (
        consent.version == policy.version
        and 0 <= now - consent.given_at <= lifetime_seconds()
        and all(slug in consent.choices for slug in policy.optional_slugs)
    )


@dataclasses.dataclass(frozen=True)
class Visitor:
    """One request's view of consent (private pages only)."""

    stored: Consent | None  # the consent in the cookie, current or not
    gpc: bool
    policy: Policy

    @property
    def consent(self):
        """The consent that applies now, or None."""
        if self.stored is not None and is_current(self.stored, self.policy):
            return self.stored
        return None

    def accepted(self, slug):
        consent = self.consent
        if consent is None or consent.choices.get(slug) is not True:
            return False
        # Global Privacy Control: only a "Yes" on the cookies page overrides it.
        return not self.gpc or consent.per_category

    def accepted_slugs(self):
        return [slug for slug in self.policy.optional_slugs if self.accepted(slug)]


def visitor(request):
    return Visitor(
        stored=parse(request.COOKIES.get(cookie_name())),
        gpc=request.headers.get("Sec-GPC", "").strip() == "1",
        policy=current_policy(),
    )


def banner_choices(action, request):
    """What "accept" or "reject" in the banner means: under Global Privacy
    Control (which hides the banner) even "accept" refuses everything."""
    state = visitor(request)
    accept = action == "accept" and not state.gpc
    return {slug: accept for slug in state.policy.optional_slugs}


class KeyReused(Exception):
    """An idempotency key sent again with a different choice."""


def save(
    request, response, choices, *, location, javascript, per_category=False, idempotency_key=None
):
    """Record `choices` (slug → bool), set the consent cookie and delete refused cookies.

    A choice sent again with the same `idempotency_key` (a UUID) is not logged
    again: the cookie is set from the entry already written. The same key with
    another choice raises KeyReused.

    Returns the declarations whose cookies were refused, for the script to
    delete in the browser too.
    """
    state = visitor(request)
    previous = state.stored
    consent = Consent(
        # Keep the id while the visitor changes their mind, so the log shows
        # one visitor's history without knowing who they are.
        consent_id=previous.consent_id if previous else uuid.uuid4().hex,
        version=state.policy.version,
        given_at=int(time.time()),
        choices=dict(choices),
        per_category=per_category,
    )
    entry = {
        "consent_id": uuid.UUID(consent.consent_id),
        "policy_version": consent.version,
        "choices": consent.choices,
        "location": location,
        "javascript": javascript,
        "gpc": state.gpc,
    }
    if idempotency_key is None:
        ConsentRecord.objects.create(**entry)
    else:
        logged, created = ConsentRecord.objects.get_or_create(
            idempotency_key=idempotency_key, defaults=entry
        )
        if not created:  # sent again: the first answer never reached the browser
            if logged.choices != consent.choices:
                raise KeyReused
            consent = dataclasses.replace(
                consent, consent_id=logged.consent_id.hex, version=logged.policy_version
            )
    response.set_cookie(
        cookie_name(),
        serialise(consent),
        max_age=lifetime_seconds(),
        secure=settings.COOKIE_CONSENT_SECURE,
        httponly=False,  # the site's script reads it: see the module's docstring
        samesite="Lax",
    )
    refused = [slug for slug, value in choices.items() if not value]
    declarations = list(CookieDeclaration.objects.filter(category__slug__in=refused))
    for name in request.COOKIES:
        for declaration in declarations:
            if declaration.matches(name):
                response.delete_cookie(
                    name, path=declaration.path or "/", domain=declaration.domain or None
                )
                break
    return declarations
