"""Admin mixins that put a model under review (see README, "Editorial workflow").

    class NoticeAdmin(ReviewedAdminMixin, admin.ModelAdmin):
        preview_template = "maintenance/notice.html"

    class AttachmentInline(ReviewedInlineMixin, admin.TabularInline): ...
"""

import copy
import datetime

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from . import revisions as workflow
from .diff import compare
from .models import AuditEntry, Revision
from .tasks import queue_review_email, queue_scheduled_publication

Action = AuditEntry.Action


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("publish", "Publish"), ("reject", "Send back to the author")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to publish or send back."},
    )
    publish_at = forms.SplitDateTimeField(
        label="Publish at (optional)",
        required=False,
        help_text="Leave empty to publish now. An item not online yet goes live at that "
        "moment; changes to an item online now go live within a minute of it.",
        widget=forms.SplitDateTimeWidget(
            date_attrs={"type": "date"}, time_attrs={"type": "time"}
        ),
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required when sending back: the author gets it by email.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Say what needs changing: the author gets your comment.")
        at = cleaned.get("publish_at")
        if cleaned.get("decision") == "publish" and at and at <= timezone.now():
            self.add_error("publish_at", "Enter a time in the future, or leave it empty.")
        return cleaned


def _is_live(obj):
    """Whether the object is live in the database (not as its pending change says)."""
    return obj._editorial_live if hasattr(obj, "_editorial_live") else obj.is_live


class ReviewedInlineMixin:
    """Rows of a live object change only through a Publisher. Relations listed
    in the model's `editorial_related` (its documents) are proposed with the
    rest of an Editor's change; the others are read-only for Editors, and
    forged rows are ignored."""

    def _locked(self, request, obj):
        return (
            obj is not None and obj.pk is not None and _is_live(obj)
            and self.fk_relation() not in self.parent_model.editorial_related
            and not workflow.can_publish(request.user, self.parent_model)
        )

    def fk_relation(self):
        for field in self.model._meta.get_fields():
            if field.is_relation and field.many_to_one and field.related_model is self.parent_model:
                return field.remote_field.get_accessor_name()
        return None

    def has_add_permission(self, request, obj=None):
        return not self._locked(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(request, obj) and super().has_delete_permission(request, obj)


def proposed_row(instance, fields):
    """The related row an Editor's form proposes, its new file (if any) stored
    now under the name the row will have once published. A model may define
    before_revision() to fill fields it would fill on save (a file's size)."""
    if hasattr(instance, "before_revision"):
        instance.before_revision()
    for field in instance._meta.concrete_fields:
        file = getattr(instance, field.attname, None)
        if getattr(file, "_committed", True) is False:
            file.save(file.name, file.file, save=False)
    row = {name: getattr(instance, instance._meta.get_field(name).attname) for name in fields}
    row["id"] = instance.pk
    return {name: "" if value is None else str(value) for name, value in row.items()}


class ReviewedAdminMixin:
    """Editors' saves of a live object become pending revisions; every save is a
    revision; history, compare, preview, revert and review pages; audit of
    publish, unpublish, schedule and delete."""

    change_form_template = "editorial/change_form.html"
    preview_template = None  # the public page's template, for previews of revisions
    preview_object_name = "object"
    schedule_fields = ("published_at", "expires_at")  # changes logged as "schedule"

    # ---- permissions and the form

    def can_publish(self, request):
        return workflow.can_publish(request.user, self.model)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.can_publish(request):
            fields += [name for name in self.model.editorial_publisher_fields if name not in fields]
        return fields

    def get_object(self, request, object_id, from_field=None):
        """The object as its form should show it: with its pending change, if any."""
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._editorial_live = obj.is_live
            obj._editorial_schedule = [getattr(obj, name, None) for name in self.schedule_fields]
            obj._editorial_pending = workflow.pending_revision(obj)
            if obj._editorial_pending is not None:
                workflow.restore(obj, obj._editorial_pending.content)
        return obj

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change, **kwargs)
        checks_apply = "_submit" in request.POST
        publisher = self.can_publish(request)

        class EditorialForm(base):
            revision_message = forms.CharField(
                label="Note about this change",
                required=False,
                max_length=300,
                help_text="Optional: what you changed and why, for the history and the reviewer.",
            )

            def clean(self):
                cleaned = super().clean()
                # What the object would be: checked before it goes to review or live.
                probe = copy.copy(self.instance)
                names = {field.name for field in probe._meta.concrete_fields}
                for name, value in cleaned.items():
                    if name in names:
                        setattr(probe, name, value)
                if checks_apply or (publisher and probe.is_live):
                    for field, problems in probe.publication_problems().items():
                        self.add_error(field if field in self.fields else None, problems)
                return cleaned

        return EditorialForm

    # ---- saving

    def save_model(self, request, obj, form, change):
        if change and _is_live(obj) and not self.can_publish(request):
            # The live row stays as it is; the change waits for a Publisher
            # (made into a revision in save_related, with the related rows).
            request._editorial_proposed = True
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if getattr(request, "_editorial_proposed", False):
            # The live object's related rows stay as they are too.
            message = form.cleaned_data.get("revision_message", "")
            related = self._proposed_rows(form.instance, formsets)
            self._after_save(request, workflow.propose(form.instance, request.user, message,
                                                       related))
            return
        super().save_related(request, form, formsets, change)
        obj = form.instance
        revision = workflow.record_save(obj, request.user, form.cleaned_data["revision_message"])
        self._audit_status(request, obj, revision, change)
        self._after_save(request, revision)

    def _proposed_rows(self, obj, formsets):
        """{relation: rows} from the inline formsets an Editor changed."""
        related = {}
        for formset in formsets:
            relation = formset.fk.remote_field.get_accessor_name()
            fields = obj.editorial_related.get(relation)
            if fields is None or not formset.has_changed():
                continue
            related[relation] = [
                proposed_row(form.instance, fields)
                for form in formset.forms
                if (form.instance.pk or form.has_changed())
                and not form.cleaned_data.get("DELETE")
            ]
        return related

    def construct_change_message(self, request, form, formsets, add=False):
        if getattr(request, "_editorial_proposed", False):
            # The related rows were not saved: describe the proposal instead.
            revision = request._editorial_revision
            return f"Proposed revision {revision.number} for review; the live version is unchanged."
        return super().construct_change_message(request, form, formsets, add)

    def _audit_status(self, request, obj, revision, change):
        was_live = change and _is_live(obj)
        pending = getattr(obj, "_editorial_pending", None)
        if pending is not None:
            workflow.audit(
                Action.APPROVE, request.user, obj, revision,
                f"Published the pending revision {pending.number} with the Publisher's edits",
            )
        if obj.is_live and not was_live:
            public = getattr(obj, "is_public", True)
            workflow.audit(Action.PUBLISH if public else Action.SCHEDULE, request.user, obj,
                           revision, "" if public else self._schedule_text(obj))
        elif was_live and not obj.is_live:
            workflow.audit(Action.UNPUBLISH, request.user, obj, revision)
        elif obj.is_live and change and obj._editorial_schedule != [
            getattr(obj, name, None) for name in self.schedule_fields
        ]:
            workflow.audit(Action.SCHEDULE, request.user, obj, revision, self._schedule_text(obj))

    def _schedule_text(self, obj):
        parts = []
        for name in self.schedule_fields:
            value = getattr(obj, name, None)
            if isinstance(value, datetime.datetime):
                label = self.model._meta.get_field(name).verbose_name
                parts.append(f"{label}: {timezone.localtime(value):%d/%m/%Y %H:%M}")
        return "; ".join(parts)

    def _after_save(self, request, revision):
        request._editorial_revision = revision
        if "_submit" not in request.POST or revision.state == Revision.State.SUBMITTED:
            return
        try:
            workflow.submit(revision, request.user)
        except workflow.ReviewError as error:
            messages.error(request, str(error))
            return
        queue_review_email(revision, "review_request")

    def response_change(self, request, obj):
        revision = getattr(request, "_editorial_revision", None)
        if getattr(request, "_editorial_proposed", False) and revision is not None:
            if revision.state in (Revision.State.SUBMITTED, Revision.State.SCHEDULED):
                text = "Your changes were submitted for review. The live version stays online unchanged until a Publisher publishes them."  # noqa: E501
            else:
                text = "Your changes are saved as a pending revision; the live version is unchanged. Submit them for review when they are ready."  # noqa: E501
            self.message_user(request, text, messages.SUCCESS)
            return HttpResponseRedirect(request.path)
        if revision is not None and revision.state == Revision.State.SUBMITTED and (
            "_submit" in request.POST
        ):
            self.message_user(request, "Submitted for review: Publishers have been told.")
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if "_submit" in request.POST:
            self.message_user(request, "Saved and submitted for review.")
            return HttpResponseRedirect(self._url("change", obj.pk))
        return super().response_add(request, obj, post_url_continue)

    def delete_model(self, request, obj):
        workflow.audit(Action.DELETE, request.user, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            workflow.audit(Action.DELETE, request.user, obj, bulk=True)
        super().delete_queryset(request, queryset)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                pending_revision=getattr(obj, "_editorial_pending", None),
                waiting_revision=workflow.revisions_of(obj).waiting_for_review().first(),
                is_live=_is_live(obj),
            )
        context.update(can_publish=self.can_publish(request))
        return super().render_change_form(request, context, add, change, form_url, obj)

    # ---- the pages: revisions, compare, preview, revert, review

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/revisions/", wrap(self.revisions_view),
                 name=f"{name}_revisions"),
            path("<path:object_id>/revisions/compare/", wrap(self.compare_view),
                 name=f"{name}_compare"),
            path("<path:object_id>/revisions/<int:number>/preview/", wrap(self.preview_view),
                 name=f"{name}_preview"),
            path("<path:object_id>/revisions/<int:number>/revert/", wrap(self.revert_view),
                 name=f"{name}_revert"),
            path("<path:object_id>/review/", wrap(self.review_view), name=f"{name}_review"),
        ] + super().get_urls()

    def _url(self, view, object_id, *args):
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}"
        return reverse(name, args=[object_id, *args], current_app=self.admin_site.name)

    def _live_object(self, request, object_id):
        try:
            pk = self.opts.pk.to_python(unquote(object_id))
        except ValidationError:  # not an id at all, as the admin's own views answer
            raise Http404("No such object.") from None
        obj = self.model._default_manager.filter(pk=pk).first()
        if obj is None:
            raise Http404("No such object.")
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def _context(self, request, obj, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": title,
            "subtitle": str(obj),
            "can_publish": self.can_publish(request),
            "can_change": self.has_change_permission(request, obj),
            "urls": {
                "change": self._url("change", obj.pk),
                "revisions": self._url("revisions", obj.pk),
                "compare": self._url("compare", obj.pk),
                "review": self._url("review", obj.pk),
            },
            **extra,
        }

    def revisions_view(self, request, object_id):
        obj = self._live_object(request, object_id)
        rows = [
            (r, self._url("preview", obj.pk, r.number), self._url("revert", obj.pk, r.number))
            for r in workflow.revisions_of(obj).order_by("-number")
        ]
        context = self._context(request, obj, "Revisions", rows=rows)
        return TemplateResponse(request, "editorial/revisions.html", context)

    def _revision(self, obj, number):
        return get_object_or_404(workflow.revisions_of(obj), number=number)

    def compare_view(self, request, object_id):
        obj = self._live_object(request, object_id)
        all_revisions = workflow.revisions_of(obj).order_by("-number")
        try:
            numbers = sorted(int(request.GET[k]) for k in ("a", "b"))
        except (KeyError, ValueError):
            numbers = sorted(r.number for r in all_revisions[:2])
        if len(numbers) < 2:
            messages.info(request, "There is only one revision: nothing to compare yet.")
            return HttpResponseRedirect(self._url("revisions", obj.pk))
        old, new = self._revision(obj, numbers[0]), self._revision(obj, numbers[1])
        context = self._context(
            request, obj, f"Revision {old.number} and revision {new.number}",
            old=old, new=new, old_label=f"Revision {old.number}",
            new_label=f"Revision {new.number}",
            changes=compare(self.model, old.content, new.content),
        )
        return TemplateResponse(request, "editorial/compare.html", context)

    def preview_object(self, obj, revision):
        """The object as the revision has it, for its preview (not saved). A
        model admin showing related rows (documents) puts the revision's in."""
        return workflow.restore(obj, revision.content)

    def preview_view(self, request, object_id, number):
        obj = self._live_object(request, object_id)
        revision = self._revision(obj, number)
        obj = self.preview_object(obj, revision)
        context = {self.preview_object_name: obj, "is_preview": True, "revision": revision}
        response = TemplateResponse(request, self.preview_template, context)
        response["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)
        return response

    def revert_view(self, request, object_id, number):
        obj = self._live_object(request, object_id)
        if request.method != "POST" or not self.has_change_permission(request, obj):
            raise PermissionDenied
        new = workflow.revert(self._revision(obj, number), request.user)
        if new.applied:
            self.message_user(request, f"Reverted to revision {number}: saved as revision {new.number}.")  # noqa: E501
        else:
            self.message_user(
                request,
                f"Reverted to revision {number} as pending revision {new.number}: "
                "the live version is unchanged until a Publisher publishes it.",
            )
        return HttpResponseRedirect(self._url("change", obj.pk))

    def review_view(self, request, object_id):
        obj = self._live_object(request, object_id)
        revision = workflow.revisions_of(obj).waiting_for_review().order_by("-number").first()
        if revision is None:
            messages.info(request, "Nothing about this item is waiting for review.")
            return HttpResponseRedirect(self._url("change", obj.pk))
        form = ReviewForm(request.POST or None)
        status = 200
        if request.method == "POST":
            if not self.can_publish(request):
                raise PermissionDenied
            if form.is_valid():
                try:
                    return self._decide(request, obj, revision, form.cleaned_data)
                except workflow.ReviewError as error:
                    form.add_error(None, str(error))
            status = 400
        live = workflow.snapshot(obj) if obj.is_live else {}
        context = self._context(
            request, obj, "Review", revision=revision, form=form, is_live=obj.is_live,
            old_label="Live version" if obj.is_live else "Not online yet",
            new_label=f"Proposed (revision {revision.number})",
            changes=compare(self.model, live, revision.content),
            preview_url=self._url("preview", obj.pk, revision.number),
        )
        return TemplateResponse(request, "editorial/review.html", context, status=status)

    def _decide(self, request, obj, revision, data):
        if data["decision"] == "publish":
            obj = workflow.approve(revision, request.user, data["publish_at"], data["comment"])
            when = data["publish_at"]
            if revision.state == Revision.State.SCHEDULED:  # a change to live content
                queue_scheduled_publication(revision)
            self.message_user(
                request,
                f"Scheduled to go live at {timezone.localtime(when):%d/%m/%Y %H:%M}."
                if when else "Published: the public now sees this version.",
                messages.SUCCESS,
            )
        else:
            workflow.reject(revision, request.user, data["comment"])
            queue_review_email(revision, "sent_back")
            self.message_user(request, "Sent back to the author with your comment.")
        return HttpResponseRedirect(self._url("change", obj.pk))
