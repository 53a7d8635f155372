"""The editorial pages of a reviewed object, as view classes: history,
compare, preview, revert, review, withdraw, unpublish and share; and the
shared preview a reviewer without an account opens.

ReviewedAdminMixin.get_urls() mounts them with `model_admin=self`; each
checks the admin's own permissions for the object.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.generic import FormView, TemplateView, View
from django.views.generic.base import ContextMixin

from . import scheduling, sharing, workflow
from .diff import compare
from .forms import ReviewForm, UnpublishForm, WithdrawForm
from .links import admin_url
from .models import Revision
from .registry import review_for
from .revisions import restored_copy, revisions_of, snapshot
from .tasks import queue_review_email, queue_scheduled_publication


def preview_response(request, obj, revision, **context):
    """The public page of `obj` as `revision` has it: never cached, never indexed."""
    review = review_for(obj)
    shown = restored_copy(obj, revision.content)
    if review.preview_object is not None:
        shown = review.preview_object(shown, revision)
    context = {review.preview_name: shown, "is_preview": True, "revision": revision, **context}
    response = TemplateResponse(request, review.preview_template, context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response


class ObjectMixin(ContextMixin):
    """The object a page is about, found and permitted as its model admin says."""

    model_admin = None  # given by as_view()
    title = ""
    needs_publisher = False  # only those who may publish it may use the page

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = self.get_object()

    def get_object(self):
        admin = self.model_admin
        try:
            pk = admin.opts.pk.to_python(unquote(self.kwargs["object_id"]))
        except ValidationError:  # not an id at all, as the admin's own views answer
            raise Http404("No such object.") from None
        obj = admin.model._default_manager.filter(pk=pk).first()
        if obj is None:
            raise Http404("No such object.")
        if not admin.has_view_or_change_permission(self.request, obj):
            raise PermissionDenied
        if self.needs_publisher and not self.can_publish:
            raise PermissionDenied
        return obj

    @property
    def can_publish(self):
        return workflow.can_publish(self.request.user, self.model_admin.model)

    def url(self, view, *args):
        return admin_url(self.model_admin.opts, view, self.object.pk, *args,
                         current_app=self.model_admin.admin_site.name)

    def get_context_data(self, **kwargs):
        admin = self.model_admin
        return {
            **super().get_context_data(**kwargs),
            **admin.admin_site.each_context(self.request),
            "opts": admin.opts,
            "original": self.object,
            "title": self.title,
            "subtitle": str(self.object),
            "can_publish": self.can_publish,
            "can_change": admin.has_change_permission(self.request, self.object),
            "urls": {view: self.url(view) for view in ("change", "history", "compare", "review")},
            **kwargs,
        }

    def revision(self, number):
        return get_object_or_404(revisions_of(self.object), number=number)


class HistoryView(ObjectMixin, TemplateView):
    """Every revision, newest first: compare any two, preview or revert one.
    It is the admin's own History page of a reviewed object."""

    title = "History"
    template_name = "editorial/history.html"

    def get_context_data(self, **kwargs):
        revisions = list(revisions_of(self.object).order_by("-number"))
        rows = [(r, self.url("preview", r.number), self.url("revert", r.number)) for r in revisions]
        return super().get_context_data(rows=rows, **kwargs)


class CompareView(ObjectMixin, TemplateView):
    template_name = "editorial/compare.html"

    def get(self, request, *args, **kwargs):
        try:
            numbers = sorted(int(request.GET[k]) for k in ("a", "b"))
        except (KeyError, ValueError):
            newest = revisions_of(self.object).order_by("-number")[:2]
            numbers = sorted(r.number for r in newest)
        if len(numbers) < 2:
            messages.info(request, "There is only one revision: nothing to compare yet.")
            return HttpResponseRedirect(self.url("history"))
        self.old, self.new = self.revision(numbers[0]), self.revision(numbers[1])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        old, new = self.old, self.new
        return super().get_context_data(
            title=f"Revision {old.number} and revision {new.number}",
            old=old, new=new, old_label=f"Revision {old.number}",
            new_label=f"Revision {new.number}",
            changes=compare(self.model_admin.model, old.content, new.content),
            **kwargs,
        )


class PreviewView(ObjectMixin, View):
    """A revision as the public page would show it."""

    def get(self, request, *args, **kwargs):
        return preview_response(request, self.object, self.revision(kwargs["number"]))


class RevertView(ObjectMixin, View):
    """A new revision with an earlier one's content (POST only)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not self.model_admin.has_change_permission(request, self.object):
            raise PermissionDenied
        number = kwargs["number"]
        new = workflow.revert(self.revision(number), request.user)
        if new.applied:
            text = f"Reverted to revision {number}: saved as revision {new.number}."
        else:
            text = (f"Reverted to revision {number} as pending revision {new.number}: "
                    "the live version is unchanged until a Publisher publishes it.")
        messages.success(request, text)
        return HttpResponseRedirect(self.url("change"))


class ReviewView(ObjectMixin, FormView):
    """The live version and the proposal side by side; a Publisher decides."""

    title = "Review"
    template_name = "editorial/review.html"
    form_class = ReviewForm

    def dispatch(self, request, *args, **kwargs):
        waiting = revisions_of(self.object).waiting_for_review()
        self.proposal = waiting.order_by("-number").first()
        if self.proposal is None:
            messages.info(request, "Nothing about this item is waiting for review.")
            return HttpResponseRedirect(self.url("change"))
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.can_publish:
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            return self.decide(form.cleaned_data)
        except workflow.ReviewError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def decide(self, data):
        revision, user = self.proposal, self.request.user
        if data["decision"] == "reject":
            workflow.reject(revision, user, data["comment"])
            queue_review_email(revision, "sent_back")
            messages.success(self.request, "Sent back to the author with your comment.")
            return HttpResponseRedirect(self.url("change"))
        workflow.approve(revision, user, data["publish_at"], data["comment"])
        when = data["publish_at"]
        if revision.state == Revision.State.SCHEDULED:  # a change to live content
            scheduling.schedule_changed(revision)
            queue_scheduled_publication(revision)
        messages.success(
            self.request,
            f"Scheduled to go live at {timezone.localtime(when):%d/%m/%Y %H:%M}."
            if when else "Published: the public now sees this version.",
        )
        return HttpResponseRedirect(self.url("change"))

    def get_context_data(self, **kwargs):
        obj, proposal = self.object, self.proposal
        live = snapshot(obj) if obj.is_published else {}
        return super().get_context_data(
            revision=proposal,
            old_label="Live version" if obj.is_published else "Not online yet",
            new_label=f"Proposed (revision {proposal.number})",
            changes=compare(self.model_admin.model, live, proposal.content),
            preview_url=self.url("preview", proposal.number),
            share_url=self.url("share", proposal.number),
            **kwargs,
        )


class WithdrawView(ObjectMixin, FormView):
    """A Publisher withdraws a published object with a public reason."""

    title = "Withdraw"
    template_name = "editorial/withdraw.html"
    form_class = WithdrawForm
    needs_publisher = True

    def dispatch(self, request, *args, **kwargs):
        if not self.object.is_published:
            messages.info(request, "Only a published item can be withdrawn.")
            return HttpResponseRedirect(self.url("change"))
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        workflow.withdraw(self.object, self.request.user, form.cleaned_data["reason"])
        messages.success(self.request, "Withdrawn: the page now says so and has left every list.")
        return HttpResponseRedirect(self.url("change"))

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class UnpublishView(ObjectMixin, FormView):
    """A Publisher takes an object off the site, optionally naming its replacement."""

    title = "Unpublish"
    template_name = "editorial/unpublish.html"
    form_class = UnpublishForm
    needs_publisher = True

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "obj": self.object,
                "admin_site": self.model_admin.admin_site}

    def form_valid(self, form):
        replacement = form.cleaned_data["replacement"]
        workflow.unpublish(self.object, self.request.user, replacement)
        messages.success(
            self.request,
            f"Unpublished: its address now sends readers to “{replacement}”." if replacement
            else "Unpublished: its address now answers that the page is gone.",
        )
        return HttpResponseRedirect(self.url("change"))

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["media"] = self.model_admin.media + context["form"].media
        return context


class ShareView(ObjectMixin, View):
    """A Publisher makes a preview link of an unpublished change for someone
    without an account (POST only); the page shows it once."""

    http_method_names = ["post"]
    needs_publisher = True

    def post(self, request, *args, **kwargs):
        revision = self.revision(kwargs["number"])
        if not revision.is_proposal:
            raise Http404("Only a change not yet published can be shared.")
        workflow.audit(workflow.Action.SHARE, request.user, self.object, revision,
                       f"Expires after {sharing.max_age().days} days")
        context = self.get_context_data(
            title="Share a preview", revision=revision, link=sharing.preview_url(revision),
            expires=timezone.now() + sharing.max_age(),
        )
        response = TemplateResponse(request, "editorial/share.html", context)
        add_never_cache_headers(response)
        return response


class SharedPreviewView(View):
    """/preview/<token>/: an unpublished change for a reviewer without an
    account, while the link is valid and the change still unpublished."""

    def get(self, request, token):
        try:
            revision_id = sharing.revision_id(token)
        except signing.SignatureExpired:
            return self.gone(request, "This preview link has expired.")
        except signing.BadSignature:
            raise Http404("No such preview.") from None
        revision = Revision.objects.select_related("author").filter(pk=revision_id).first()
        obj = revision.object if revision is not None else None
        if obj is None or review_for(obj) is None:
            raise Http404("No such preview.")
        if not revision.is_proposal:
            return self.gone(request, "This change has been published or replaced since the "
                                      "link was made.")
        return preview_response(request, obj, revision, shared=True)

    def gone(self, request, reason):
        response = TemplateResponse(request, "editorial/preview_gone.html", {"reason": reason},
                                    status=410)
        response["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)
        return response
