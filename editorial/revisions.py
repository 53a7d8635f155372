"""The editorial workflow's rules: saving, proposing, submitting, reviewing, reverting.

These functions change the database and the audit log only; sending email is
the caller's business (the admin queues editorial.tasks after the commit).
"""

import copy
import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import AuditEntry, Revision, author_name

Action = AuditEntry.Action
logger = logging.getLogger(__name__)


class ReviewError(Exception):
    """A review step that cannot be done; its message is for the user."""


def publish_permission(model):
    return f"{model._meta.app_label}.publish_{model._meta.model_name}"


def can_publish(user, model):
    return user.has_perm(publish_permission(model))


def editorial_fields(model):
    if model.editorial_fields is not None:
        return [model._meta.get_field(name) for name in model.editorial_fields]
    return [
        field
        for field in model._meta.concrete_fields
        if field.editable and not field.primary_key
        and not getattr(field, "auto_now", False) and not getattr(field, "auto_now_add", False)
    ]


def snapshot(obj):
    """The object's full content as JSON-ready values (its related lists included)."""
    content = {
        # value_to_string() writes an empty foreign key as "None": keep it None.
        field.name: None if field.value_from_object(obj) is None else field.value_to_string(obj)
        for field in editorial_fields(type(obj))
    }
    if obj.pk:
        for relation, fields in type(obj).editorial_related.items():
            content[relation] = [
                {name: str(value) for name, value in row.items()}
                for row in getattr(obj, relation).values(*fields)
            ]
    return content


def restore(obj, content):
    """Put `content` into the object's fields (in memory; the caller saves)."""
    for field in editorial_fields(type(obj)):
        if field.name in content:
            value = content[field.name]
            value = None if value in (None, "") and field.null else field.to_python(value)
            setattr(obj, field.attname, value)
    return obj


def revisions_of(obj):
    return Revision.objects.for_object(obj).select_related("author", "reviewed_by")


def pending_revision(obj):
    """The newest change to live content waiting to be published, or None."""
    return revisions_of(obj).pending().order_by("-number").first()


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


def _new_revision(obj, user, message, **fields):
    ct = ContentType.objects.get_for_model(obj)
    # Lock the object's row so that two saves cannot take the same number.
    type(obj)._default_manager.select_for_update().filter(pk=obj.pk).first()
    last = Revision.objects.filter(content_type=ct, object_id=obj.pk).aggregate(n=Max("number"))
    return Revision.objects.create(
        content_type=ct,
        object_id=obj.pk,
        number=(last["n"] or 0) + 1,
        author=user,
        message=message,
        content=snapshot(obj),
        **fields,
    )


@transaction.atomic
def record_save(obj, user, message=""):
    """A save that was written to the object. Pending changes it overrode are
    superseded; a submitted draft stays in the review queue."""
    earlier = revisions_of(obj).filter(state__in=Revision.PENDING_STATES)
    submitted = earlier.filter(state=Revision.State.SUBMITTED).first()
    earlier.update(state=Revision.State.SUPERSEDED)
    keep_in_queue = submitted is not None and not obj.is_live
    return _new_revision(
        obj, user, message,
        state=Revision.State.SUBMITTED if keep_in_queue else Revision.State.SAVED,
        submitted_at=submitted.submitted_at if keep_in_queue else None,
    )


@transaction.atomic
def propose(obj, user, message="", related=None):
    """A change to live content, kept as a pending revision; `obj` (holding the
    change in memory) is not saved. `related` ({relation: rows}) are its
    proposed related rows; a relation left out keeps the earlier pending
    revision's rows, or the live ones. A later change replaces an earlier one."""
    earlier = revisions_of(obj).pending()
    previous = earlier.order_by("-number").first()
    # A change to an approved, scheduled change needs review again.
    submitted = earlier.filter(state__in=[Revision.State.SUBMITTED, Revision.State.SCHEDULED])
    submitted = submitted.first()
    earlier.update(state=Revision.State.SUPERSEDED)
    revision = _new_revision(
        obj, user, message,
        applied=False,
        state=Revision.State.SUBMITTED if submitted else Revision.State.PENDING,
        submitted_at=submitted.submitted_at if submitted else None,
    )
    for relation in type(obj).editorial_related:
        if related and relation in related:
            revision.content[relation] = related[relation]
        elif previous is not None and relation in previous.content:
            revision.content[relation] = previous.content[relation]
    revision.save(update_fields=["content"])
    return revision


def apply_related(obj, content):
    """Make the object's related rows (its documents) those of `content`:
    rows with a known id are updated, the others created, the missing deleted."""
    for relation, fields in type(obj).editorial_related.items():
        if relation not in content:
            continue
        manager = getattr(obj, relation)
        model = manager.model
        keep = []
        for row in content[relation]:
            values = {
                name: model._meta.get_field(name).to_python(value)
                for name, value in row.items()
                if name in fields and name != "id"
            }
            existing = manager.filter(pk=row.get("id")).first() if row.get("id") else None
            if existing is None:
                existing = manager.create(**values)
            else:
                for name, value in values.items():
                    setattr(existing, name, value)
                existing.save()
            keep.append(existing.pk)
        for stale in manager.exclude(pk__in=keep):
            stale.delete()


def related_as_in(content, relation, rows):
    """The rows of `relation` as `content` has them, for a preview, in the
    content's order: each a copy of its live row in `rows` (a queryset) with
    the content's values, or a new instance (no pk) for a row added in the
    content. Nothing is saved."""
    if relation not in content:  # a revision from before the relation was kept
        return list(rows)
    meta = rows.model._meta
    live = {str(row.pk): row for row in rows}
    instances = []
    for values in content[relation]:
        row = live.get(values.get("id"))
        instance = copy.copy(row) if row is not None else rows.model()
        for name, value in values.items():
            if name != "id":
                field = meta.get_field(name)
                setattr(instance, field.attname, field.to_python(value))
        instances.append(instance)
    return instances


def check_publishable(obj):
    problems = obj.publication_problems()
    if problems:
        raise ReviewError(" ".join(m for messages in problems.values() for m in messages))


@transaction.atomic
def submit(revision, user):
    """Put a revision in the Publishers' review queue."""
    if revision.state not in (Revision.State.SAVED, Revision.State.PENDING):
        raise ReviewError("Only the latest saved revision can be submitted for review.")
    check_publishable(restore(revision.object, revision.content))
    revision.state = Revision.State.SUBMITTED
    revision.submitted_at = timezone.now()
    revision.save(update_fields=["state", "submitted_at"])
    audit(Action.SUBMIT, user, revision.object, revision, revision.message)
    return revision


@transaction.atomic
def approve(revision, user, publish_at=None, comment=""):
    """Publish a submitted revision now or at `publish_at`. An object not live
    yet is scheduled by its own publication time; a change to a live object
    waits as a scheduled revision until publish_due() applies it."""
    if revision.state != Revision.State.SUBMITTED:
        raise ReviewError("This revision is not waiting for review.")
    obj = type(revision.object)._default_manager.select_for_update().get(pk=revision.object_id)
    if publish_at is not None and obj.is_live:
        check_publishable(restore(copy.copy(obj), revision.content))
        revision.state, revision.publish_at = Revision.State.SCHEDULED, publish_at
        revision.reviewed_by, revision.reviewed_at = user, timezone.now()
        revision.review_comment = comment
        revision.save()
        audit(Action.SCHEDULE, user, obj, revision,
              f"Changes go live {timezone.localtime(publish_at):%d/%m/%Y %H:%M}")
        return obj
    return _publish(obj, revision, user, publish_at, comment)


def _publish(obj, revision, user, publish_at=None, comment=""):
    restore(obj, revision.content)
    check_publishable(obj)
    obj.publish(at=publish_at)
    obj.save()
    apply_related(obj, revision.content)
    revision.content = snapshot(obj)
    revision.applied = True
    revision.state = Revision.State.PUBLISHED
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
    return obj


def publish_due(now=None):
    """Apply approved changes to live objects whose time has come (beat runs
    this every minute); returns how many were published."""
    now = now or timezone.now()
    count = 0
    due = Revision.objects.filter(state=Revision.State.SCHEDULED, publish_at__lte=now)
    for revision_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            revision = Revision.objects.select_for_update().filter(
                pk=revision_id, state=Revision.State.SCHEDULED
            ).first()
            if revision is None or revision.object is None:
                continue
            obj = type(revision.object)._default_manager.select_for_update().get(
                pk=revision.object_id
            )
            try:
                _publish(obj, revision, None, comment="Published at its scheduled time")
            except ReviewError:
                logger.exception("Scheduled revision %s could not be published", revision.pk)
                continue
            count += 1
    return count


@transaction.atomic
def reject(revision, user, comment):
    if revision.state != Revision.State.SUBMITTED:
        raise ReviewError("This revision is not waiting for review.")
    if not comment.strip():
        raise ReviewError("Say what needs changing: the author gets your comment.")
    revision.state = Revision.State.REJECTED
    revision.reviewed_by, revision.reviewed_at = user, timezone.now()
    revision.review_comment = comment
    revision.save()
    audit(Action.REJECT, user, revision.object, revision, comment)
    return revision


@transaction.atomic
def revert(revision, user, message=""):
    """A new revision with an earlier one's content. For someone who may not
    publish, a live object's revert is a pending change, like any edit, and
    the fields only Publishers set (status) keep their live values."""
    obj = type(revision.object)._default_manager.get(pk=revision.object_id)
    live = {name: getattr(obj, name) for name in obj.editorial_publisher_fields}
    message = message or f"Reverted to revision {revision.number}"
    restore(obj, revision.content)
    if not can_publish(user, type(obj)):
        for name, value in live.items():
            setattr(obj, name, value)
    related = {name: revision.content[name] for name in obj.editorial_related
               if name in revision.content}
    if obj.is_live and not can_publish(user, type(obj)):
        new = propose(obj, user, message, related)
    else:
        obj.save()
        apply_related(obj, revision.content)
        new = record_save(obj, user, message)
    audit(Action.REVERT, user, obj, new, message)
    return new


def record_status_change(obj, user, action, bulk=False, detail=""):
    """A publish or unpublish done directly by a Publisher (form or bulk action)."""
    revision = record_save(obj, user, detail or action.label)
    audit(action, user, obj, revision, detail, bulk=bulk)
    return revision
