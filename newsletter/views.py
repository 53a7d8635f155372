from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import DetailView, FormView, ListView, TemplateView, View

from common.page_cache import add_keys, public_page
from news import surrogate_keys as news_keys
from news.models import Category

from . import ratelimit, services, surrogate_keys, tasks, tokens
from .digest_content import extra_sections, item_context, web_items
from .forms import LinkRequestForm, PreferencesForm, SignupForm
from .models import (
    CONSENT_TEXTS,
    CONSENT_VERSION,
    Digest,
    Frequency,
    Source,
    Subscriber,
    Suppression,
)

ONE_CLICK_BODY = b"List-Unsubscribe=One-Click"


def _is_one_click(request):
    """The RFC 8058 form and nothing else: exactly "List-Unsubscribe=One-Click",
    urlencoded, or as the only field of a multipart form."""
    content_type = request.content_type
    if content_type == "application/x-www-form-urlencoded":
        return request.body.strip() == ONE_CLICK_BODY
    if content_type == "multipart/form-data":
        try:
            fields = {key: request.POST.getlist(key) for key in request.POST}
        except Exception:  # a malformed body is simply not the one-click form
            return False
        return fields == {"List-Unsubscribe": ["One-Click"]} and not request.FILES
    return False


def _bad_link(request, error, purpose):
    """A clear page for forged, truncated, expired or void links (4xx, never 500)."""
    if isinstance(error, tokens.ExpiredToken):
        reason, status = "expired", 410
    elif isinstance(error, tokens.GoneToken):
        reason, status = "gone", 410
    else:
        reason, status = "invalid", 400
    return render(
        request,
        "newsletter/bad_link.html",
        {"reason": reason, "purpose": purpose},
        status=status,
    )


@method_decorator(never_cache, name="dispatch")
class SignupView(FormView):
    template_name = "newsletter/signup.html"
    form_class = SignupForm

    def get_initial(self):
        source = self.request.GET.get("source")
        return {"source": source if source in (Source.BANNER, Source.PAGE) else Source.PAGE}

    def get_context_data(self, **kwargs):
        if "form" not in kwargs:
            kwargs["form"] = self.get_form()
        form = kwargs["form"]
        version = form["consent_version"].value() or CONSENT_VERSION
        kwargs["consent_text"] = CONSENT_TEXTS.get(version, CONSENT_TEXTS[CONSENT_VERSION])
        return super().get_context_data(**kwargs)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def form_valid(self, form):
        data = form.cleaned_data
        if form.is_bot():
            # Look the same as a success to the bot; send nothing, keep nothing.
            return redirect("newsletter:check-email")
        if not ratelimit.allow_client(self.request, "signup"):
            return limited(self.request)
        choices = tokens.Choices(
            tuple(topic.pk for topic in data["topics"]),
            data["frequency"],
            data["consent_version"],
            data["source"],
        )
        # The worker decides what to send, within the address's own limits.
        tasks.queue_signup(data["email"], choices)
        # The same answer whatever the address's state, first time or again.
        return redirect("newsletter:check-email")


def limited(request):
    """Too many requests from this client (never a word about the address)."""
    return render(request, "newsletter/limited.html", status=429)


class CheckEmailView(TemplateView):
    template_name = "newsletter/check_email.html"


@method_decorator(never_cache, name="dispatch")
class LinkRequestView(FormView):
    """"Lost your link?": a subscriber asks for an email with their links.
    The answer is the same page whatever the address; a worker sends the
    email only to a confirmed subscriber, within the address's limits."""

    template_name = "newsletter/manage.html"
    form_class = LinkRequestForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def form_valid(self, form):
        if form.is_bot():
            return redirect("newsletter:manage-sent")
        if not ratelimit.allow_client(self.request, "manage"):
            return limited(self.request)
        tasks.queue_link_request(form.cleaned_data["email"])
        return redirect("newsletter:manage-sent")


class LinkRequestSentView(TemplateView):
    template_name = "newsletter/manage_sent.html"


@method_decorator(never_cache, name="dispatch")
class ConfirmView(View):
    """GET shows a button (mail scanners follow links); only POST confirms."""

    def dispatch(self, request, token):
        try:
            self.subscriber, self.choices = tokens.read_token_with_choices(token, tokens.CONFIRM)
        except tokens.BadToken as error:
            return _bad_link(request, error, "confirm")
        usable = (Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED)
        if self.choices is None and self.subscriber.status not in usable:
            return _bad_link(request, tokens.GoneToken(), "confirm")
        suppressed = Suppression.objects.for_address(self.subscriber.email).exists()
        if suppressed and self.subscriber.status != Subscriber.Status.PENDING:
            return _bad_link(request, tokens.GoneToken(), "confirm")
        return super().dispatch(request, token)

    def get(self, request, token):
        return render(
            request,
            "newsletter/confirm.html",
            {"subscriber": self.subscriber, "choices": _describe(self.choices)},
        )

    def post(self, request, token):
        subscriber, _ = services.confirm(self.subscriber, self.choices)
        manage = tokens.make_token(subscriber, tokens.MANAGE)
        return render(
            request,
            "newsletter/confirmed.html",
            {
                "subscriber": subscriber,
                "preferences_url": reverse("newsletter:preferences", args=[manage]),
            },
        )


def _describe(choices):
    """The choices a confirmation link carries, for people to read."""
    if choices is None:
        return None
    names = list(Category.objects.filter(pk__in=choices.topic_ids).values_list("name", flat=True))
    return {
        "topics": ", ".join(names) if names else "All topics",
        "frequency": Frequency(choices.frequency).label
        if choices.frequency in Frequency.values
        else choices.frequency,
    }


@method_decorator(never_cache, name="dispatch")
class PreferencesView(FormView):
    template_name = "newsletter/preferences.html"
    form_class = PreferencesForm

    def dispatch(self, request, *args, **kwargs):
        try:
            self.subscriber = tokens.read_token(kwargs["token"], tokens.MANAGE)
        except tokens.BadToken as error:
            return _bad_link(request, error, "preferences")
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        topics = [t.pk for t in self.subscriber.topics.all()]
        if not topics:
            topics = [c.pk for c in self.get_form_class()().fields["topics"].queryset]
        return {"topics": topics, "frequency": self.subscriber.frequency}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            subscriber=self.subscriber,
            unsubscribe_url=reverse("newsletter:unsubscribe", args=[self.kwargs["token"]]),
            **kwargs,
        )

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def form_valid(self, form):
        if self.subscriber.status != Subscriber.Status.CONFIRMED:
            return render(
                self.request,
                "newsletter/preferences.html",
                self.get_context_data(form=form),
                status=409,
            )
        services.change_preferences(
            self.subscriber, form.cleaned_data["topics"], form.cleaned_data["frequency"]
        )
        messages.success(self.request, "Your choices have been saved.")
        return redirect(self.request.path)


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class UnsubscribeView(View):
    """GET shows a button; POST unsubscribes at once.

    RFC 8058 one-click: the mail client POSTs exactly "List-Unsubscribe=One-Click"
    with no cookies and no CSRF token. Only that exact body skips the CSRF
    check; it gets a 200, never a redirect, however often it comes. Any other
    POST is the page's form, checked by csrf_protect."""

    def get(self, request, token):
        try:
            subscriber = tokens.read_token(token, tokens.MANAGE)
        except tokens.BadToken as error:
            return _bad_link(request, error, "unsubscribe")
        return render(request, "newsletter/unsubscribe.html", {"subscriber": subscriber})

    def post(self, request, token):
        if _is_one_click(request):
            return one_click_unsubscribe(request, token)
        return form_unsubscribe(request, token)


def one_click_unsubscribe(request, token):
    try:
        subscriber = tokens.read_token(token, tokens.MANAGE, legacy_ok=True)
    except tokens.GoneToken:  # erased or already replaced: nothing left to unsubscribe
        return HttpResponse("You are unsubscribed.\n", content_type="text/plain")
    except tokens.BadToken:
        return HttpResponse("This link is not valid.\n", status=400, content_type="text/plain")
    services.unsubscribe(subscriber, Source.ONE_CLICK)
    return HttpResponse("You are unsubscribed.\n", content_type="text/plain")


@csrf_protect
def form_unsubscribe(request, token):
    try:
        subscriber = tokens.read_token(token, tokens.MANAGE, legacy_ok=True)
    except tokens.GoneToken:
        return _bad_link(request, tokens.GoneToken(), "unsubscribe")
    except tokens.BadToken as error:
        return _bad_link(request, error, "unsubscribe")
    services.unsubscribe(subscriber, Source.EMAIL)
    return render(request, "newsletter/unsubscribed.html", {"subscriber": subscriber})


@method_decorator(
    public_page(query_params=["page"], keys=[surrogate_keys.ARCHIVE]), name="dispatch"
)
class ArchiveView(ListView):
    """Past digests, newest first: the same page for everyone."""

    queryset = Digest.objects.sent()
    template_name = "newsletter/archive.html"
    context_object_name = "digests"
    paginate_by = 50


@method_decorator(public_page, name="dispatch")
class DigestWebVersionView(DetailView):
    """A digest's web version ("View this email in your browser"): every item
    it covered in every topic, with no personal link."""

    queryset = Digest.objects.sent()
    template_name = "newsletter/archive_digest.html"
    context_object_name = "digest"

    def get_context_data(self, **kwargs):
        shown = list(web_items(self.object))
        add_keys(
            self.request, surrogate_keys.digest(self.object.pk),
            *(news_keys.item(item.pk) for item in shown),
        )
        items = [item_context(item) for item in reversed(shown)]
        return super().get_context_data(
            items=items, sections=extra_sections(self.object), **kwargs
        )
