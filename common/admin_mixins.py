"""Admin mixins several apps use."""

from django.core.exceptions import BadRequest
from django.forms.formsets import TOTAL_FORM_COUNT
from django.forms.models import BaseInlineFormSet


class ReadOnlyAdminMixin:
    """For records that are evidence (consent logs, deliveries): staff may list,
    view and export them, but nobody adds, edits or deletes them by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BoundedFormSet(BaseInlineFormSet):
    """An inline formset that refuses (400) a management form claiming more
    rows than it may have, before building a form for each: a forged
    TOTAL_FORMS of thousands would otherwise hold a worker for seconds."""

    def total_form_count(self):
        if self.is_bound and self.management_form.is_valid():
            claimed = self.management_form.cleaned_data[TOTAL_FORM_COUNT]
            if claimed > self.absolute_max:
                raise BadRequest(f"At most {self.absolute_max} rows can be sent at once.")
        return super().total_form_count()


class BoundedInlineMixin:
    """Inline rows in admin: a form sending more than `max_rows` is refused."""

    max_rows = 100
    max_num = max_rows  # the rows a form offers (0 for a user who may not add any)
    formset = BoundedFormSet

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("absolute_max", self.max_rows)
        return super().get_formset(request, obj, **kwargs)
