"""The editorial workflow's rules: saving, proposing, submitting, reviewing,
scheduling, reverting, withdrawing and unpublishing (README "Editorial workflow").

These functions change the database and the audit log only; sending email
and queuing tasks are the caller's business (the admin queues
editorial.tasks after the commit).
"""

import datetime
import logging
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import AuditEntry, Revision, author_name
from .registry import review_for
from .revisions import (
    apply_related,
    new_revision,
    restore,
    restored_copy,
    revisions_of,
    snapshot,
)

Action = AuditEntry.Action
State = Revision.State
logger = logging.getLogger(__name__)


class ReviewError(Exception):
    """A review step that cannot be done; its message is for the user."""


SEND_BACK_NEEDS_COMMENT = "Say what needs changing: the author gets your comment."


def publish_permission(model):
    return f"{model._meta.app_label}.publish_{model._meta.model_name}"


def can_publish(user, model):
    return user.has_perm(publish_permission(model))


@dataclass(frozen=True)
class PublicChange:
    """Whether readers need to know about a change, and what to tell them."""

    kind: str = ""  # Revision.Kind, or "" where nobody was asked
    note: str = ""

    @property
    def is_major(self):
        return self.kind == Revision.Kind.MAJOR


UNASKED = PublicChange()


@dataclass(frozen=True)
class Saved:
    """What save() did: the revision it made, whether it is a proposal (the
    live object is unchanged), whether this save submitted it for review,
    and why it could not be submitted, if it could not."""

    revision: Revision
    proposed: bool
    submitted: bool = False
    refusal: str = ""


def save(obj, user, write, *, message="", submit=False, change=UNASKED, untouched=()):
    """Save `obj` as `user`: the one call the admin makes per save.

    `write()` writes the object and its related rows as the form has them
    (the admin's own save). For someone who may not publish, a change to
    published content is a proposal: written inside a savepoint, kept as an
    unpublished revision and rolled back, so the live rows stay as they are;
    the relations named in `untouched` (their form rows left as they were)
    keep the working copy's rows. Anything else is written, as a revision.
    A major `change` to content readers can see adds its public note once it
    is live. With `submit`, the revision goes to the review queue."""
    model = type(obj)
    with transaction.atomic():
        live = (
            model._default_manager.select_for_update().filter(pk=obj.pk).first()
            if obj.pk else None
        )
        proposed = live is not None and live.is_published and not can_publish(user, model)
        if proposed:
            revision = _propose(obj, user, write, message, change, untouched)
        else:
            revision = _write(obj, live, user, write, message, change)
        if not submit or revision.state == State.SUBMITTED:
            return Saved(revision, proposed)
        try:
            with transaction.atomic():
                submit_for_review(revision, user)
        except ReviewError as error:
            return Saved(revision, proposed, refusal=str(error))
        return Saved(revision, proposed, submitted=True)


def _propose(obj, user, write, message, change, untouched):
    model = type(obj)
    earlier = revisions_of(obj).unpublished_changes()
    previous = earlier.order_by("-number").first()
    # A change to a change in the queue, or approved for later, needs review again.
    queued = earlier.filter(state__in=[State.SUBMITTED, State.SCHEDULED]).first()
    live_rows = {
        relation: {str(pk) for pk in getattr(obj, relation).values_list("pk", flat=True)}
        for relation in model.editorial_related
    }
    point = transaction.savepoint_create()
    write()
    content = snapshot(obj)
    transaction.savepoint_rollback(point)
    obj.refresh_from_db()
    for relation, ids in live_rows.items():
        if relation in untouched and previous is not None and relation in previous.content:
            content[relation] = previous.content[relation]
            continue
        for row in content[relation]:
            if row["id"] not in ids:
                row["id"] = ""  # added by this change: created once it is published
    earlier.update(state=State.SUPERSEDED)
    return new_revision(
        obj, user, message, content=content,
        applied=False,
        state=State.SUBMITTED if queued else State.UNSUBMITTED,
        submitted_at=queued.submitted_at if queued else None,
        change_kind=change.kind,
        change_note=change.note,
    )


def _write(obj, live, user, write, message, change):
    replaced = revisions_of(obj).unpublished_changes().order_by("-number").first() if live else None
    was_public = live is not None and getattr(live, "is_public", False)
    write()
    revision = record_save(obj, user, message, change)
    if replaced is not None:
        audit(Action.APPROVE, user, obj, revision,
              f"Published the pending revision {replaced.number} with the Publisher's edits")
    _audit_status(obj, live, user, revision)
    if change.is_major and was_public:
        obj.add_change_note(change.note, timezone.now())
    return revision


def record_save(obj, user, message="", change=UNASKED):
    """A save that was written to the object. The unpublished changes it
    overrode are replaced, and so is a draft's that was sent back (its
    comment stays in the history); a draft submitted for review stays in
    the queue."""
    earlier = revisions_of(obj).filter(
        Q(applied=False, state__in=Revision.UNPUBLISHED_CHANGE_STATES)
        | Q(state__in=[State.SUBMITTED, State.REJECTED])  # a draft's, written already
    )
    submitted = earlier.filter(state=State.SUBMITTED).first()
    earlier.update(state=State.SUPERSEDED)
    keep_in_queue = submitted is not None and not obj.is_published
    return new_revision(
        obj, user, message,
        state=State.SUBMITTED if keep_in_queue else State.SAVED,
        submitted_at=submitted.submitted_at if keep_in_queue else None,
        change_kind=change.kind,
        change_note=change.note,
    )


def _audit_status(obj, live, user, revision):
    was = live is not None and live.is_published
    if obj.is_published and not was:
        public = getattr(obj, "is_public", True)
        audit(Action.PUBLISH if public else Action.SCHEDULE, user, obj, revision,
              "" if public else schedule_text(obj))
    elif was and not obj.is_published:
        audit(Action.UNPUBLISH, user, obj, revision)
    elif was:
        review = review_for(obj)
        fields = review.schedule_fields if review else ()
        if any(getattr(obj, name) != getattr(live, name) for name in fields):
            audit(Action.SCHEDULE, user, obj, revision, schedule_text(obj))


def schedule_text(obj):
    """“Publication time: 02/07/2020 09:00; Expiry time: …” of its schedule fields."""
    review = review_for(obj)
    parts = []
    for name in review.schedule_fields if review else ():
        value = getattr(obj, name, None)
        if isinstance(value, datetime.datetime):
            label = obj._meta.get_field(name).verbose_name
            parts.append(f"{label.capitalize()}: {timezone.localtime(value):%d/%m/%Y %H:%M}")
    return "; ".join(parts)


def check_publishable(obj):
    problems = obj.publication_problems()
    if problems:
        raise ReviewError(" ".join(m for messages in problems.values() for m in messages))


def submit_for_review(revision, user):
    """Put a revision in the Publishers' review queue."""
    if revision.state not in (State.SAVED, State.UNSUBMITTED):
        raise ReviewError("Only the latest saved revision can be submitted for review.")
    live = type(revision.object)._default_manager.get(pk=revision.object_id)
    check_publishable(restored_copy(live, revision.content))
    revision.state = State.SUBMITTED
    revision.submitted_at = timezone.now()
    revision.save(update_fields=["state", "submitted_at"])
    audit(Action.SUBMIT, user, live, revision, revision.message)
    return revision


@transaction.atomic
def approve(revision, user, publish_at=None, comment=""):
    """Publish a submitted revision now or at `publish_at`. An object not
    published yet goes live by its own publication time; a change to a
    published object waits as a scheduled revision until publish_due()."""
    if revision.state != State.SUBMITTED:
        raise ReviewError("This revision is not waiting for review.")
    obj = _locked(revision)
    if publish_at is not None and obj.is_published:
        check_publishable(restored_copy(obj, revision.content))
        revision.state, revision.publish_at = State.SCHEDULED, publish_at
        revision.reviewed_by, revision.reviewed_at = user, timezone.now()
        revision.review_comment = comment
        revision.save()
        audit(Action.SCHEDULE, user, obj, revision,
              f"Changes go live {timezone.localtime(publish_at):%d/%m/%Y %H:%M}")
        return obj
    return _publish(obj, revision, user, publish_at, comment)


def _locked(revision):
    return type(revision.object)._default_manager.select_for_update().get(pk=revision.object_id)


def _publish(obj, revision, user, publish_at=None, comment="", live_from=None):
    was_public = getattr(obj, "is_public", False)
    restore(obj, revision.content)
    check_publishable(obj)
    obj.publish(at=publish_at)
    obj.save()
    apply_related(obj, revision.content)
    revision.content = snapshot(obj)
    revision.applied = True
    revision.state = State.PUBLISHED
    if user is not None:
        revision.reviewed_by, revision.reviewed_at = user, timezone.now()
        revision.review_comment = comment
    revision.save()
    scheduled = publish_at is not None and publish_at > timezone.now()
    audit(
        Action.SCHEDULE if scheduled else Action.APPROVE,
        user or revision.reviewed_by, obj, revision,
        f"Goes live {timezone.localtime(publish_at):%d/%m/%Y %H:%M}" if scheduled else comment,
    )
    if revision.is_major and was_public:
        obj.add_change_note(revision.change_note, live_from or timezone.now())
    return obj


def next_scheduled_change():
    """When the next approved change to live content is due, or None."""
    return Revision.objects.scheduled().order_by("publish_at").values_list(
        "publish_at", flat=True
    ).first()


def publish_due(now=None):
    """Apply the approved changes to live objects whose time has come (the
    first request after it, beat every minute, or a task queued for the
    time: whichever comes first); returns how many were published."""
    now = now or timezone.now()
    count = 0
    due = Revision.objects.scheduled().filter(publish_at__lte=now)
    for revision_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            revision = Revision.objects.select_for_update().filter(
                pk=revision_id, state=State.SCHEDULED
            ).first()
            if revision is None or revision.object is None:
                continue  # published by another process meanwhile, or deleted
            try:
                _publish(_locked(revision), revision, None,
                         comment="Published at its scheduled time", live_from=revision.publish_at)
            except ReviewError:
                logger.exception("Scheduled revision %s could not be published", revision.pk)
                continue
            count += 1
    return count


@transaction.atomic
def reject(revision, user, comment):
    """Send a submitted revision back to its author, who finds it in the
    change form again (it stays the working copy) with the comment."""
    if revision.state != State.SUBMITTED:
        raise ReviewError("This revision is not waiting for review.")
    if not comment.strip():
        raise ReviewError(SEND_BACK_NEEDS_COMMENT)
    revision.state = State.REJECTED
    revision.reviewed_by, revision.reviewed_at = user, timezone.now()
    revision.review_comment = comment
    revision.save()
    audit(Action.REJECT, user, revision.object, revision, comment)
    return revision


@transaction.atomic
def revert(revision, user, message=""):
    """A new revision with an earlier one's content, saved as any change is:
    for someone who may not publish, a published object's revert is a
    proposal, and the fields only Publishers set keep their live values."""
    obj = _locked(revision)
    message = message or f"Reverted to revision {revision.number}"
    keep = () if can_publish(user, type(obj)) else obj.editorial_publisher_fields
    restore(obj, revision.content, keep)

    def write():
        obj.save()
        apply_related(obj, revision.content)

    saved = save(obj, user, write, message=message)
    audit(Action.REVERT, user, obj, saved.revision, message)
    return saved.revision


def withdraw(obj, user, reason):
    """Withdraw a published object with a public reason: it stays at its
    address with a notice and leaves every list (the model says how)."""
    obj.withdraw(reason)
    return _status_change(obj, user, Action.WITHDRAW, reason)


def unpublish(obj, user, replacement=None, bulk=False):
    """Take an object off the site: gone, or sent on to `replacement`."""
    obj.unpublish(replacement)
    detail = f"Readers are sent to “{replacement}”" if replacement is not None else ""
    return _status_change(obj, user, Action.UNPUBLISH, detail, bulk)


def publish_now(obj, user, bulk=False):
    """Publish an object directly (a Publisher's bulk action)."""
    check_publishable(obj)
    obj.publish()
    return _status_change(obj, user, Action.PUBLISH, "", bulk)


@transaction.atomic
def _status_change(obj, user, action, detail="", bulk=False):
    obj.save()
    revision = record_save(obj, user, detail or action.label)
    audit(action, user, obj, revision, detail, bulk=bulk)
    return revision


def audit(action, user, obj=None, revision=None, detail="", bulk=False):
    return AuditEntry.objects.create(
        action=action,
        actor=user if user is not None and user.pk else None,
        actor_name=author_name(user) if user is not None else "",
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:250] if obj is not None else "",
        revision=revision,
        detail=detail,
        bulk=bulk,
    )
