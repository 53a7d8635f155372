"""The forms of the editorial pages, and the fields the workflow adds to a
reviewed model's change form (editorial_form)."""

import copy
from dataclasses import dataclass
from functools import cached_property

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.forms.models import model_to_dict
from django.utils import timezone

from .diff import compare
from .models import Revision
from .revisions import latest, restored_copy, revisions_of, snapshot
from .workflow import SEND_BACK_NEEDS_COMMENT


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
        "moment, and so do changes to an item online now.",
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
            self.add_error("comment", SEND_BACK_NEEDS_COMMENT)
        at = cleaned.get("publish_at")
        if cleaned.get("decision") == "publish" and at and at <= timezone.now():
            self.add_error("publish_at", "Enter a time in the future, or leave it empty.")
        return cleaned


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Public reason",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown on the page under “This was withdrawn on …”: say why, and where "
        "readers find current information.",
        error_messages={"required": "Give the reason readers will see."},
    )


class UnpublishForm(forms.Form):
    """Unpublish, with the replacement readers are sent to (if the model has one)."""

    def __init__(self, *args, obj, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = type(obj)._meta.get_field("replaced_by")
        self.fields["replacement"] = forms.ModelChoiceField(
            label="Send readers to (optional)",
            queryset=type(obj)._default_manager.published().exclude(pk=obj.pk),
            required=False,
            widget=AutocompleteSelect(field, admin_site),
            help_text="A published item that replaces this one: its address answers with a "
            "permanent redirect there. Leave empty and the address answers “410 Gone”.",
            error_messages={"invalid_choice": "Choose a published item."},
        )


@dataclass
class Conflict:
    """Someone saved the object after this form was opened."""

    model: type
    opened: Revision | None  # the revision the form was opened on
    theirs: Revision  # the newest
    yours: dict  # the content this form would save

    @cached_property
    def their_changes(self):
        """What changed between the version the form showed and theirs."""
        if self.opened is None:
            return []
        return [c for c in compare(self.model, self.opened.content, self.theirs.content)
                if c.changed]

    @cached_property
    def differences(self):
        """Where this form's version differs from theirs."""
        return [c for c in compare(self.model, self.theirs.content, self.yours) if c.changed]


def editorial_form(base, *, live, publisher, submitting, ask_change):
    """The admin's form class `base` with the workflow's fields: a note for
    the history, the revision it was opened on (edit conflicts), and, when
    readers can see the object, whether they need to know of the change.
    An unbound form shows the working copy (the newest unpublished change)."""
    model = base._meta.model
    newest = latest(live) if live is not None else None

    class EditorialForm(base):
        revision_message = forms.CharField(
            label="Note about this change",
            required=False,
            max_length=300,
            help_text="Optional: what you changed and why, for the history and the reviewer.",
        )
        base_revision = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
        # Sent by the conflict notice's button: save over this revision knowingly.
        overwrite = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
        if ask_change:
            change_kind = forms.ChoiceField(
                label="Do readers need to know about this change?",
                choices=Revision.Kind.choices,
                widget=forms.RadioSelect,
                error_messages={"required": "Say whether this is a major or a minor change."},
            )
            change_note = forms.CharField(
                label="Change note",
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="For a major change: what changed, in a sentence readers "
                "understand (“Corrected the date of the A2A release.”).",
            )

        def __init__(self, *args, **kwargs):
            initial = kwargs.pop("initial", None) or {}
            if live is not None:
                initial.setdefault("base_revision", newest.number if newest else 0)
            if newest is not None:
                if newest.is_unpublished_change:
                    shown = restored_copy(live, newest.content, model.editorial_publisher_fields)
                    opts = base._meta
                    initial = {**model_to_dict(shown, opts.fields, opts.exclude), **initial}
                    if newest.change_kind:
                        initial.setdefault("change_kind", newest.change_kind)
                        initial.setdefault("change_note", newest.change_note)
            super().__init__(*args, initial=initial, **kwargs)
            self.conflict = None

        def clean(self):
            cleaned = super().clean()
            probe = self._probe(cleaned)
            if live is not None:
                self._check_conflict(cleaned, probe)
            if submitting or (publisher and probe.is_published):
                for field, problems in probe.publication_problems().items():
                    self.add_error(field if field in self.fields else None, problems)
            if ask_change and cleaned.get("change_kind") == Revision.Kind.MAJOR and not (
                cleaned.get("change_note", "").strip()
            ):
                self.add_error("change_note", "A major change needs a note for readers.")
            return cleaned

        def _probe(self, cleaned):
            """The object as this form would make it (nothing saved)."""
            probe = copy.copy(self.instance)
            names = {field.name for field in probe._meta.concrete_fields}
            for name, value in cleaned.items():
                if name in names:
                    setattr(probe, name, value)
            return probe

        def _check_conflict(self, cleaned, probe):
            # Inside the admin's transaction: the lock holds until this save is done.
            model._default_manager.select_for_update().filter(pk=live.pk).first()
            opened_on = cleaned.get("base_revision")
            if opened_on is None:
                return  # a form that does not say when it was opened (not a browser's)
            theirs = latest(live)
            if theirs is None or theirs.number <= opened_on:
                return
            if cleaned.get("overwrite") == theirs.number:
                return  # they saw the newest and chose to save over it
            opened = revisions_of(live).filter(number=opened_on).first() if opened_on else None
            # The form's related rows are not compared: theirs stand in for them.
            yours = snapshot(probe)
            for relation in model.editorial_related:
                yours[relation] = theirs.content.get(relation, [])
            self.conflict = Conflict(model, opened, theirs, yours)
            self.add_error(
                None,
                f"{theirs.author_name} saved this {model._meta.verbose_name} at "
                f"{timezone.localtime(theirs.created_at):%H:%M on %d/%m/%Y}, after you opened it. "
                "Nothing was saved: see what changed below, then choose.",
            )

    return EditorialForm

