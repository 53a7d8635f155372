"""Revisions as stored content: what a revision keeps of an object, putting it
back, and numbering. The rules of who may do what are editorial.workflow's."""

import copy

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max

from .models import Revision


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


def restore(obj, content, keep=()):
    """Put `content` into the object's fields, except those named in `keep`
    (in memory; the caller saves). Returns the object."""
    for field in editorial_fields(type(obj)):
        if field.name in content and field.name not in keep:
            value = content[field.name]
            value = None if value in (None, "") and field.null else field.to_python(value)
            setattr(obj, field.attname, value)
    return obj


def restored_copy(obj, content, keep=()):
    """A copy of `obj` holding `content`; `obj` itself is left as it is."""
    return restore(copy.copy(obj), content, keep)


def revisions_of(obj):
    return Revision.objects.for_object(obj).select_related("author", "reviewed_by")


def latest(obj):
    """The object's newest revision, or None. An unpublished change (the
    working copy) is always the newest: any save written to the object
    replaces the unpublished ones."""
    return revisions_of(obj).order_by("-number").first()


def working_copy(obj):
    """The newest unpublished change of the object, or None."""
    newest = latest(obj)
    return newest if newest is not None and newest.is_unpublished_change else None


def new_revision(obj, user, message, content=None, **fields):
    """A revision with `content` (by default the object's, as `obj` holds it)
    and the object's next number."""
    ct = ContentType.objects.get_for_model(obj)
    # Lock the object's row so that two saves cannot take the same number.
    type(obj)._default_manager.select_for_update().filter(pk=obj.pk).first()
    last = Revision.objects.filter(content_type=ct, object_id=obj.pk).aggregate(n=Max("number"))
    return Revision.objects.create(
        content_type=ct,
        object_id=obj.pk,
        number=(last["n"] or 0) + 1,
        author=user if user is not None and user.pk else None,
        message=message,
        content=snapshot(obj) if content is None else content,
        **fields,
    )


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
