"""Put a model's admin under review (README "Editorial workflow").

    @admin.register(MaintenanceNotice)
    class NoticeAdmin(ReviewedAdminMixin, admin.ModelAdmin): ...

    class DocumentInline(ReviewedInlineMixin, admin.TabularInline): ...

The model is registered for review by its app (editorial.registry). A save
is one call of editorial.workflow.save(), which writes the form or keeps it
as a proposal; Django's History button, and the compare, preview, revert,
review, withdraw, unpublish and share pages are editorial.views' classes.
"""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import path

from common.admin_mixins import BoundedInlineMixin

from . import views, workflow
from .forms import editorial_form
from .links import admin_url
from .models import Revision
from .registry import review_for
from .revisions import latest
from .tasks import queue_review_email


class ReviewedInlineMixin(BoundedInlineMixin):
    """Rows of a published object change only through a Publisher. Relations
    listed in the model's `editorial_related` (its documents) are proposed
    with the rest of an Editor's change; the others are read-only for
    Editors, and forged rows are ignored."""

    def _locked(self, request, obj):
        return (
            obj is not None and obj.pk is not None and obj.is_published
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


class ReviewedAdminMixin:
    """Editors' saves of published objects become proposals; every save is a
    revision; the object's editorial pages; audit of every status change."""

    change_form_template = "editorial/change_form.html"

    def can_publish(self, request):
        return workflow.can_publish(request.user, self.model)

    # ---- the form

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.can_publish(request):
            fields += [name for name in self.model.editorial_publisher_fields if name not in fields]
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        # A field read-only for this user cannot be filled in from another.
        readonly = set(self.get_readonly_fields(request, obj))
        prepopulated = super().get_prepopulated_fields(request, obj)
        return {name: sources for name, sources in prepopulated.items() if name not in readonly}

    def get_form(self, request, obj=None, change=False, **kwargs):
        review = review_for(self.model)
        return editorial_form(
            super().get_form(request, obj, change, **kwargs),
            live=obj,
            publisher=self.can_publish(request),
            submitting="_submit" in request.POST,
            ask_change=review is not None and review.change_notes and obj is not None
            and obj.is_public,
        )

    # ---- saving: one call of the workflow

    def save_model(self, request, obj, form, change):
        """Written by save_related(), through the workflow, with its related rows."""

    def save_related(self, request, form, formsets, change):
        admin = super()

        def write():
            admin.save_model(request, form.instance, form, change)
            admin.save_related(request, form, formsets, change)

        data = form.cleaned_data
        saved = workflow.save(
            form.instance, request.user, write,
            message=data["revision_message"],
            submit="_submit" in request.POST,
            change=workflow.PublicChange(data.get("change_kind", ""),
                                         data.get("change_note", "").strip()),
            untouched={
                formset.fk.remote_field.get_accessor_name()
                for formset in formsets if not formset.has_changed()
            },
        )
        if saved.submitted:
            queue_review_email(saved.revision, "review_request")
        if saved.refusal:
            messages.error(request, saved.refusal)

    def _proposal(self, obj):
        """The revision a save just kept as a proposal, if it did."""
        newest = latest(obj)
        return newest if newest is not None and newest.is_unpublished_change else None

    def construct_change_message(self, request, form, formsets, add=False):
        proposal = None if add else self._proposal(form.instance)
        if proposal is not None:
            # Nothing was changed: describe the proposal instead.
            return f"Proposed revision {proposal.number} for review; the live version is unchanged."
        return super().construct_change_message(request, form, formsets, add)

    def response_change(self, request, obj):
        newest = latest(obj)
        if newest is not None and newest.is_unpublished_change:
            if newest.state in (Revision.State.SUBMITTED, Revision.State.SCHEDULED):
                text = "Your changes were submitted for review. The live version stays online unchanged until a Publisher publishes them."  # noqa: E501
            else:
                text = "Your changes are saved as a pending revision; the live version is unchanged. Submit them for review when they are ready."  # noqa: E501
            self.message_user(request, text, messages.SUCCESS)
            return HttpResponseRedirect(request.path)
        if "_submit" in request.POST and newest is not None and (
            newest.state == Revision.State.SUBMITTED
        ):
            self.message_user(request, "Submitted for review: Publishers have been told.")
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if "_submit" in request.POST:
            self.message_user(request, "Saved and submitted for review.")
            return HttpResponseRedirect(admin_url(self.opts, "change", obj.pk))
        return super().response_add(request, obj, post_url_continue)

    def delete_model(self, request, obj):
        workflow.audit(workflow.Action.DELETE, request.user, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            workflow.audit(workflow.Action.DELETE, request.user, obj, bulk=True)
        super().delete_queryset(request, queryset)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            newest = latest(obj)
            state = newest.state if newest is not None else None
            context.update(
                working_copy=newest if newest and newest.is_unpublished_change else None,
                waiting_revision=newest if state == Revision.State.SUBMITTED else None,
                sent_back=newest if state == Revision.State.REJECTED else None,
                can_withdraw=self.supports("withdraw") and obj.is_published
                and not obj.is_withdrawn,
                can_unpublish=self.supports("unpublish") and obj.is_published,
            )
        context.update(can_publish=self.can_publish(request))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def supports(self, action):
        """Whether the model can be withdrawn, or unpublished with a replacement."""
        return callable(getattr(self.model, action, None))

    # ---- the pages

    def history_view(self, request, object_id, extra_context=None):
        """Django's History button: the revisions, not the admin's log."""
        return views.HistoryView.as_view(model_admin=self)(request, object_id=object_id)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"

        def view(view_class):
            return self.admin_site.admin_view(view_class.as_view(model_admin=self))

        pages = [
            ("history/compare/", views.CompareView, "compare"),
            ("history/<int:number>/preview/", views.PreviewView, "preview"),
            ("history/<int:number>/revert/", views.RevertView, "revert"),
            ("history/<int:number>/share/", views.ShareView, "share"),
            ("review/", views.ReviewView, "review"),
        ]
        if self.supports("withdraw"):
            pages.append(("withdraw/", views.WithdrawView, "withdraw"))
        if self.supports("unpublish"):
            pages.append(("unpublish/", views.UnpublishView, "unpublish"))
        return [
            path(f"<path:object_id>/{route}", view(view_class), name=f"{name}_{suffix}")
            for route, view_class, suffix in pages
        ] + super().get_urls()
