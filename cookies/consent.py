"""The visitor's consent: reading and writing the consent cookie.

The cookie is signed with Django's signing framework and holds the consent id,
the policy version, the time and the choice per non-essential category. A
value that is missing, malformed, tampered with, too old, for an older policy
version or silent about a category added since counts as no consent: the
banner asks again and no non-essential script runs.
"""

import dataclasses
import functools
import time
import types
import uuid

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from portal_site.cache import forget_local_copy, local_copy

from .models import ConsentPolicy, ConsentRecord, CookieCategory, CookieDeclaration

SALT = "cookies.consent"
POLICY_CACHE_KEY = "cookies:policy"
POLICY_CACHE_SECONDS = 300
MAX_COOKIE_LENGTH = 1024
# After a form (no JavaScript) choice the next page shows the confirmation once.
FLASH_COOKIE = "cookie_consent_saved"
FLASH_VALUES = ("accepted", "rejected", "saved")


def cookie_name():
    return getattr(settings, "COOKIE_CONSENT_NAME", "cookie_consent")


def lifetime_seconds():
    return int(getattr(settings, "COOKIE_CONSENT_MAX_AGE_DAYS", 365)) * 24 * 60 * 60


def gpc_categories():
    return tuple(getattr(settings, "COOKIE_CONSENT_GPC_CATEGORIES", ("marketing",)))


@dataclasses.dataclass(frozen=True)
class Policy:
    """What the banner needs from the database, cached between requests."""

    version: int
    # (slug, name) of the non-essential categories that declare cookies, in order.
    # A category declaring none (Marketing by default) is left out of the banner
    # and of consent; once it declares a cookie everyone is asked again.
    optional: tuple

    @property
    def optional_slugs(self):
        return tuple(slug for slug, _ in self.optional)


def current_policy():
    """The policy every page's banner needs, read through this process's copy."""
    return local_copy(POLICY_CACHE_KEY, _shared_policy)


def _shared_policy():
    policy = cache.get(POLICY_CACHE_KEY)
    if policy is None:
        version = ConsentPolicy.objects.values_list("version", flat=True).order_by("pk").first()
        optional = tuple(
            CookieCategory.objects.optional()
            .with_declaration_count()
            .filter(declaration_count__gt=0)
            .values_list("slug", "name")
        )
        policy = Policy(version=version or 1, optional=optional)
        cache.set(POLICY_CACHE_KEY, policy, POLICY_CACHE_SECONDS)
    return policy


def forget_policy():
    """Called when categories, declarations or the policy version change."""
    cache.delete(POLICY_CACHE_KEY)
    forget_local_copy(POLICY_CACHE_KEY)


@dataclasses.dataclass(frozen=True)
class Consent:
    consent_id: str
    version: int
    given_at: int
    choices: dict
    # True when each category was chosen on the cookies page, not by "accept all".
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
    consent = _verified(value, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))
    # save() signs the value at given_at, so this is the signature's age,
    # checked on every call rather than once in the remembered verification.
    if consent is None or not 0 <= time.time() - consent.given_at <= lifetime_seconds():
        return None
    return consent


@functools.lru_cache(maxsize=1024)
def _verified(value, secret_key, fallback_keys):
    """The Consent in a correctly signed, well-formed value, or None.

    A visitor sends the same value with every request, and checking it cost
    more than the rest of a cached page's lookup (about 60 µs), so each
    process remembers the values it has checked. The keys are arguments only
    so that a new secret key makes every remembered answer stale.
    """
    try:
        data = signing.loads(value, salt=SALT)
    except Exception:  # noqa: BLE001 - any malformed value simply means "no consent"
        return None
    if not _valid_shape(data):
        return None
    # Shared between requests, so read-only.
    choices = types.MappingProxyType(data["c"])
    return Consent(data["i"], data["v"], data["t"], choices, data["p"])


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
    """One request's view of consent."""

    # The signed consent in the cookie, current or not; None when absent or bad.
    stored: Consent | None
    gpc: bool

    @functools.cached_property
    def policy(self):
        # Read only when needed: a first-time visitor's cached page never is.
        return current_policy()

    @property
    def consent(self):
        """The consent that applies now, or None: the banner asks."""
        if self.stored is not None and is_current(self.stored, self.policy):
            return self.stored
        return None

    @property
    def decided(self):
        return self.consent is not None or not self.policy.optional

    def accepted(self, slug):
        consent = self.consent
        if consent is None or consent.choices.get(slug) is not True:
            return False
        # Global Privacy Control: only an explicit "Yes" on the cookies page
        # overrides it.
        if self.gpc and slug in gpc_categories() and not consent.per_category:
            return False
        return True

    def accepted_slugs(self):
        return [slug for slug in self.policy.optional_slugs if self.accepted(slug)]


def visitor(request):
    cached = getattr(request, "_cookie_visitor", None)
    if cached is None:
        cached = Visitor(
            stored=parse(request.COOKIES.get(cookie_name())),
            # META, not request.headers, which builds a mapping of every header.
            gpc=request.META.get("HTTP_SEC_GPC", "").strip() == "1",
        )
        request._cookie_visitor = cached
    return cached


def accepted(request, slug):
    """Whether the visitor accepted the cookie category `slug` (for gating)."""
    return visitor(request).accepted(slug)


def flash(request):
    value = request.COOKIES.get(FLASH_COOKIE)
    return value if value in FLASH_VALUES else None


def cache_variant(request):
    """The part of the page-cache key that depends on consent (PAGE_CACHE_VARIANTS).

    "none" while the banner asks, else each category's choice ("analytics1");
    then the GPC flag and any one-off confirmation the banner shows.
    """
    state = visitor(request)
    if state.consent is None:
        parts = ["none"]
    else:
        parts = [f"{slug}{int(state.accepted(slug))}" for slug in state.policy.optional_slugs]
    parts.append(f"g{int(state.gpc)}")
    if message := flash(request):
        parts.append(f"f{message[0]}")
    return "-".join(parts)


def choices_for(action, request):
    """The choices "accept" or "reject" in the banner means for this visitor."""
    state = visitor(request)
    accept = action == "accept"
    return {
        slug: accept and not (state.gpc and slug in gpc_categories())
        for slug in state.policy.optional_slugs
    }


def save(request, response, choices, *, location, javascript, per_category=False):
    """Record `choices` (slug → bool), set the consent cookie and delete refused cookies.

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
    ConsentRecord.objects.create(
        consent_id=uuid.UUID(consent.consent_id),
        policy_version=consent.version,
        choices=consent.choices,
        location=location,
        javascript=javascript,
        gpc=state.gpc,
    )
    response.set_cookie(
        cookie_name(),
        serialise(consent),
        max_age=lifetime_seconds(),
        secure=getattr(settings, "COOKIE_CONSENT_SECURE", False),
        httponly=True,
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
    request._cookie_visitor = dataclasses.replace(state, stored=consent)
    return declarations
