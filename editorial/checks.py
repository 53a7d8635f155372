"""System checks of the editorial registrations: a model registered for
review must be able to take part, so that a wiring mistake is told at start-up
(manage.py check), not by a 500 in front of an Editor, and an admin that
expects review gets it."""

from django.apps import apps
from django.contrib import admin
from django.core import checks

from .admin_mixins import ReviewedAdminMixin
from .models import ReviewedModel
from .registry import reviews


@checks.register()
def check_registrations(app_configs=None, **kwargs):
    problems = []
    registered = set()
    for review in reviews():
        try:
            model = review.model_class
        except (LookupError, ValueError):
            problems.append(checks.Error(
                f"{review.model} is registered for review but is not an installed model.",
                id="editorial.E001"))
            continue
        registered.add(model)
        if not issubclass(model, ReviewedModel):
            problems.append(checks.Error(
                f"{review.model} is registered for review but is not a ReviewedModel.",
                id="editorial.E002"))
        if not review.preview_template:
            problems.append(checks.Error(
                f"{review.model}'s review names no preview_template (its public page).",
                id="editorial.E003"))
        if review.change_notes and not callable(getattr(model, "add_change_note", None)):
            problems.append(checks.Error(
                f"{review.model} asks for change notes but has no add_change_note().",
                id="editorial.E004"))
        if admin.site.is_registered(model) and not isinstance(
            admin.site.get_model_admin(model), ReviewedAdminMixin
        ):
            problems.append(checks.Error(
                f"{review.model}'s admin does not use ReviewedAdminMixin: its saves would "
                "skip review.", id="editorial.E005"))
    for model in apps.get_models():
        if model not in registered and admin.site.is_registered(model) and isinstance(
            admin.site.get_model_admin(model), ReviewedAdminMixin
        ):
            problems.append(checks.Error(
                f"{model._meta.label}'s admin uses ReviewedAdminMixin but no registration "
                "puts the model under review (EDITORIAL_REGISTRATIONS).", id="editorial.E006"))
    return problems
