import json
import uuid
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from common.client_address import client_address
from common.ratelimit import HOUR, within_limit

from . import consent
from .forms import ConsentForm
from .models import ConsentRecord, CookieCategory, CookieDeclaration

MAX_JSON_BYTES = 1024
MAX_NEXT_LENGTH = 2000
FLASH_SECONDS = 60

# The banner's buttons → the outcome its script shows (templates/cookies/_banner.html).
OUTCOMES = {"accept": "accepted", "reject": "rejected", "object": "objected", "hide": "hidden"}


def same_site_path(request, url):
    """`url` as a path on this site, or None for anything else (another host,
    javascript:, protocol-relative or malformed addresses)."""
    if not url or len(url) > MAX_NEXT_LENGTH or any(ch < " " or ch == "\\" for ch in url):
        return None
    if not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(url)
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    if parts.path == reverse("cookies:consent"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def is_same_origin(request):
    """Whether the browser says the request comes from this site's own pages.

    The banner's endpoint has no per-page token (public pages carry none), so
    it checks what browsers send with every POST, as OWASP's CSRF cheat sheet
    describes: Sec-Fetch-Site where the browser sends it, else Origin.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    if not origin:
        return False
    return origin == f"{request.scheme}://{request.get_host()}" or (
        origin in settings.CSRF_TRUSTED_ORIGINS
    )


class BadConsent(Exception):
    pass


def _idempotency_key(request):
    """The Idempotency-Key header's UUID (quoted, as a structured-field string,
    or bare), None when absent, or BadConsent."""
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    try:
        return uuid.UUID(value.strip().strip('"'))
    except ValueError:
        raise BadConsent("Idempotency-Key must be a UUID.") from None


def _json_action(request):
    """"accept", "reject", "object" or "hide" from the banner's JSON request, or BadConsent."""
    if request.content_type != "application/json":
        raise BadConsent("Send JSON (Content-Type: application/json).")
    # Refuse a large body before reading it.
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_JSON_BYTES:
        raise BadConsent(f"The request is too large: at most {MAX_JSON_BYTES} bytes.")
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise BadConsent("The request is not valid JSON.") from None
    action = data.get("cookies") if isinstance(data, dict) and set(data) == {"cookies"} else None
    if not isinstance(action, str) or action not in OUTCOMES:
        raise BadConsent('Send {"cookies": "accept"}, or "reject", "object" or "hide".')
    return action


def within_consent_limit(request):
    """Each choice writes a consent-log row: at most so many per client an hour,
    through the banner and the cookies page together."""
    return within_limit(
        "cookie-consent", client_address(request), settings.COOKIE_CONSENT_PER_HOUR, HOUR
    )


TOO_MANY = "You've changed your cookie settings too many times. Try again in an hour."


@csrf_exempt  # protected by is_same_origin() instead: see there
@require_POST
@never_cache
def consent_view(request):
    """The banner's buttons (JSON from static/js/cookies.js): Accept and Reject,
    or, under the statistics exception, Object and Hide."""
    if not is_same_origin(request):
        return JsonResponse({"error": "Cookie choices are saved from this site's pages only."},
                            status=403)
    try:
        action = _json_action(request)
        idempotency_key = _idempotency_key(request)
    except BadConsent as error:
        return JsonResponse({"error": str(error)}, status=400)
    if action not in consent.banner_actions(consent.current_policy()):
        return JsonResponse(
            {"error": "The cookie policy has changed since this page was loaded. Reload it."},
            status=409,
        )
    if not within_consent_limit(request):
        return JsonResponse({"error": TOO_MANY}, status=429)

    choices = consent.banner_choices(action, request)
    response = JsonResponse({})
    try:
        refused = consent.save(
            request,
            response,
            choices,
            location=ConsentRecord.Location.BANNER,
            javascript=True,
            idempotency_key=idempotency_key,
        )
    except consent.KeyReused:
        return JsonResponse(
            {"error": "This Idempotency-Key was sent with another choice."}, status=422
        )
    response.content = json.dumps(
        {
            "outcome": OUTCOMES[action],
            "accepted": [slug for slug, value in choices.items() if value],
            "delete": [
                {"name": d.name, "domain": d.domain, "path": d.path or "/"} for d in refused
            ],
        }
    )
    return response


@method_decorator(never_cache, name="dispatch")
class CookieSettingsView(FormView):
    """/cookies/: what each category is for, its cookies, and Yes/No for each
    optional one. A private page: it shows the visitor's own choices."""

    template_name = "cookies/settings.html"
    form_class = ConsentForm

    def dispatch(self, request, *args, **kwargs):
        self.visitor = consent.visitor(request)
        declarations = Prefetch(
            "declarations", queryset=CookieDeclaration.objects.order_by("order", "name")
        )
        # A category that declares nothing has nothing to show or choose.
        self.categories = [
            category
            for category in CookieCategory.objects.prefetch_related(declarations)
            if category.declarations.all()
        ]
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        accepted = set(self.visitor.accepted_slugs())
        return {
            **super().get_form_kwargs(),
            "categories": [c for c in self.categories if not c.required],
            "initial_choices": {slug: True for slug in accepted},
            "exception_slugs": self.visitor.policy.exception_slugs,
        }

    def return_path(self):
        """Where the visitor came from: ?next= or the Referer, on this site only."""
        next_path = same_site_path(self.request, self.request.GET.get("next", ""))
        if next_path is None and self.request.method == "POST":
            next_path = same_site_path(self.request, self.request.POST.get("next", ""))
        if next_path is None:
            next_path = same_site_path(self.request, self.request.headers.get("Referer", ""))
        if next_path == self.request.path:
            return None
        return next_path

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            categories=self.categories,
            visitor=self.visitor,
            policy=self.visitor.policy,
            contact_email=settings.CONTACT_EMAIL,
            analytics_id=settings.ANALYTICS_ID,
            next_path=self.return_path(),
            saved=self.request.COOKIES.get(consent.FLASH_COOKIE) == "saved",
            **kwargs,
        )

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        if not within_consent_limit(self.request):
            form.add_error(None, TOO_MANY)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        url = reverse("cookies:settings")
        if next_path := self.return_path():
            url += "?" + urlencode({"next": next_path})
        response = HttpResponseRedirect(url, status=303)
        response.set_cookie(
            consent.FLASH_COOKIE, "saved", max_age=FLASH_SECONDS, httponly=True, samesite="Lax"
        )
        consent.save(
            self.request,
            response,
            form.choices(),
            location=ConsentRecord.Location.PAGE,
            # static/js/cookies.js marks the form it submits.
            javascript=self.request.POST.get("javascript") == "yes",
            per_category=True,
        )
        return response

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context.get("saved"):  # shown once
            response.delete_cookie(consent.FLASH_COOKIE, samesite="Lax")
        return response
