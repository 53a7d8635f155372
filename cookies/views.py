import json
from urllib.parse import urlencode, urlsplit

from django.db.models import Prefetch
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from . import consent
from .forms import ConsentForm
from .models import ConsentRecord, CookieCategory, CookieDeclaration

MAX_JSON_BYTES = 1024
MAX_NEXT_LENGTH = 2000
FLASH_SECONDS = 60

ACCEPTED_MESSAGE = (
    "You've accepted additional cookies. You can change your cookie settings at any time."
)
REJECTED_MESSAGE = (
    "You've rejected additional cookies. You can change your cookie settings at any time."
)


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


def _flash(response, value):
    response.set_cookie(
        consent.FLASH_COOKIE, value, max_age=FLASH_SECONDS, httponly=True, samesite="Lax"
    )


class BadConsent(Exception):
    pass


def _json_choices(request):
    """The choices in a JSON request from the banner's script, or BadConsent."""
    # Refuse a large body before reading it.
    declared = request.META.get("CONTENT_LENGTH") or "0"
    too_large = not declared.isdigit() or int(declared) > MAX_JSON_BYTES
    if too_large or len(request.body) > MAX_JSON_BYTES:
        raise BadConsent(f"The request is too large: at most {MAX_JSON_BYTES} bytes.")
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise BadConsent("The request is not valid JSON.") from None
    if not isinstance(data, dict) or set(data) != {"cookies"}:
        raise BadConsent('Send {"cookies": "accept"} or {"cookies": "reject"}.')
    if data["cookies"] not in ("accept", "reject"):
        raise BadConsent('"cookies" must be "accept" or "reject".')
    return data["cookies"]


@require_POST
def consent_view(request):
    """The banner's Accept and Reject buttons.

    A form POST (no JavaScript) redirects back to the page it came from, which
    then shows the confirmation; the banner's script sends JSON and gets JSON.
    """
    javascript = request.content_type == "application/json"
    try:
        if javascript:
            action = _json_choices(request)
        else:
            action = request.POST.get("cookies", "")
            if action not in ("accept", "reject"):
                raise BadConsent(
                    "Choose “Accept additional cookies” or “Reject additional cookies”."
                )
    except BadConsent as error:
        if javascript:
            return JsonResponse({"error": str(error)}, status=400)
        return render(
            request, "cookies/bad_request.html", {"error": str(error)}, status=400
        )

    choices = consent.choices_for(action, request)
    outcome = "accepted" if action == "accept" else "rejected"
    if javascript:
        response = JsonResponse({})
    else:
        next_path = same_site_path(request, request.POST.get("next", "")) or reverse("home")
        response = HttpResponseRedirect(next_path, status=303)
        _flash(response, outcome)
    refused = consent.save(
        request, response, choices, location=ConsentRecord.Location.BANNER, javascript=javascript
    )
    if javascript:
        response.content = json.dumps(
            {
                "outcome": outcome,
                "message": ACCEPTED_MESSAGE if outcome == "accepted" else REJECTED_MESSAGE,
                "accepted": [slug for slug, value in choices.items() if value],
                "delete": [
                    {"name": d.name, "domain": d.domain, "path": d.path or "/"} for d in refused
                ],
            }
        )
    response["Cache-Control"] = "no-store"
    return response


class CookieSettingsView(FormView):
    """/cookies/: what each category is for, its cookies, and Yes/No for each optional one."""

    template_name = "cookies/settings.html"
    form_class = ConsentForm

    def dispatch(self, request, *args, **kwargs):
        self.visitor = consent.visitor(request)
        declarations = Prefetch(
            "declarations", queryset=CookieDeclaration.objects.order_by("order", "name")
        )
        self.categories = list(
            CookieCategory.objects.with_declaration_count().prefetch_related(declarations)
        )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        accepted = set(self.visitor.accepted_slugs())
        return {
            **super().get_form_kwargs(),
            "categories": [c for c in self.categories if not c.required and c.declaration_count],
            "initial_choices": {slug: True for slug in accepted},
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
        gpc_names = [
            c.name.lower() for c in self.categories if c.slug in consent.gpc_categories()
        ]
        return super().get_context_data(
            categories=self.categories,
            visitor=self.visitor,
            gpc_names=gpc_names,
            next_path=self.return_path(),
            saved=consent.flash(self.request) == "saved",
            **kwargs,
        )

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        url = reverse("cookies:settings")
        if next_path := self.return_path():
            url += "?" + urlencode({"next": next_path})
        response = HttpResponseRedirect(url, status=303)
        _flash(response, "saved")
        consent.save(
            self.request,
            response,
            form.choices(),
            location=ConsentRecord.Location.PAGE,
            javascript=False,
            per_category=True,
        )
        return response

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        response["Cache-Control"] = "no-store"
        return response
