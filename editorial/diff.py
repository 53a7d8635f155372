"""Field-by-field comparison of two revisions' content, rich text shown as readable text."""

import difflib
import html
import re
from dataclasses import dataclass

from django.db import models

from .revisions import editorial_fields

BLOCK_END = re.compile(r"</(p|h\d|li|blockquote|figcaption|tr|caption)>|<br\s*/?>", re.I)
TAG = re.compile(r"<[^>]+>")
IMAGE = re.compile(r"<img\b[^>]*?(?:alt=\"([^\"]*)\")?[^>]*>", re.I)


def readable_text(markup):
    """Rich text as lines of plain text: one per paragraph, heading or list item."""
    markup = IMAGE.sub(lambda m: f"[image: {m.group(1) or 'no alternative text'}]", markup or "")
    text = html.unescape(TAG.sub("", BLOCK_END.sub("\n", markup)))
    return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass
class FieldChange:
    label: str
    old: str
    new: str
    changed: bool
    lines: list = None  # for rich text: [(kind, text)], kind in " ", "-", "+"


def _display(model, field, value):
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(field.to_python(value), value))
    if isinstance(field, models.ForeignKey):
        target = field.related_model._default_manager.filter(pk=value).first()
        return str(target) if target else f"(deleted, id {value})"
    if isinstance(field, models.BooleanField):
        return "Yes" if field.to_python(value) else "No"
    if isinstance(field, models.DateTimeField):
        from django.utils import timezone

        return f"{timezone.localtime(field.to_python(value)):%d/%m/%Y %H:%M}"
    if isinstance(field, models.DateField):
        return f"{field.to_python(value):%d/%m/%Y}"
    return str(value)


def compare(model, old, new):
    """[FieldChange] for every field of `model` between two content dicts."""
    changes = []
    for field in editorial_fields(model):
        a, b = old.get(field.name), new.get(field.name)
        label = str(field.verbose_name).capitalize()
        if field.name in model.editorial_rich_text:
            old_lines, new_lines = readable_text(a), readable_text(b)
            lines = [
                (line[0], line[2:])
                for line in difflib.ndiff(old_lines, new_lines)
                if not line.startswith("?")
            ]
            changes.append(
                FieldChange(label, "\n".join(old_lines), "\n".join(new_lines), a != b, lines)
            )
        else:
            changes.append(
                FieldChange(label, _display(model, field, a), _display(model, field, b), a != b)
            )
    for relation in model.editorial_related:
        a, b = old.get(relation, []), new.get(relation, [])
        label = str(model._meta.get_field(relation).related_model._meta.verbose_name_plural)
        changes.append(
            FieldChange(label.capitalize(), _rows(a), _rows(b), a != b)
        )
    return changes


def _rows(rows):
    # The id says which row is which for the machine; people read the rest.
    shown = ([v for k, v in row.items() if k != "id"] for row in rows)
    return "\n".join(" · ".join(values) for values in shown) or "—"
