"""Changing a release's figures: one function, for the admin's form and its
uploads alike. Figures of a public release are corrected, never silently
replaced: the previous values are kept with the reason."""

from django.db import transaction

from common.page_cache import purge

from . import surrogate_keys
from .formatting import plain
from .models import Figure, ReleaseCorrection


class ReasonRequired(ValueError):
    """Figures of a public release changed without a reason."""


def set_figures(release, values, user=None, reason=""):
    """Make `values` ({Measure: Decimal, or None for no figure}) the release's
    figures for those measures; other measures keep theirs. Returns the
    changes ([{"code", "measure", "previous", "value"}], values as decimal
    strings or None). On a public release the changes are recorded as a
    ReleaseCorrection with `reason`, which must then be given."""
    with transaction.atomic():
        existing = {
            figure.measure_id: figure
            for figure in Figure.objects.select_for_update().filter(release=release)
        }
        changes, create, update, delete = [], [], [], []
        for measure, value in values.items():
            figure = existing.get(measure.pk)
            previous = None if figure is None else figure.value
            if previous == value:
                continue
            changes.append({"code": measure.code, "measure": measure.name,
                            "previous": None if previous is None else plain(previous),
                            "value": None if value is None else plain(value)})
            if figure is None:
                create.append(Figure(release=release, measure=measure, value=value))
            elif value is None:
                delete.append(figure.pk)
            else:
                figure.value = value
                update.append(figure)
        if not changes:
            return []
        if release.is_public and not reason.strip():
            raise ReasonRequired("Say why the published figures changed: the release page "
                                 "and its downloads show it.")
        Figure.objects.bulk_create(create)
        Figure.objects.bulk_update(update, ["value"])
        Figure.objects.filter(pk__in=delete).delete()
        if release.is_public:
            ReleaseCorrection.objects.create(
                release=release, reason=reason.strip(), corrected_by=user, changes=changes
            )
        # bulk_create and bulk_update send no signals: the pages change all the same.
        purge(*surrogate_keys.changed_by_save())
    return changes
