"""What each app brings to the editorial workflow: models under review, its
staff roles' permissions, its panels on the admin index.

settings.EDITORIAL_REGISTRATIONS lists dotted paths of Registration objects,
one per app, kept by convention in the app's `editorial_hooks.py`:

    # news/editorial_hooks.py
    from editorial.registry import Panel, Registration, Review

    def schedule_panel(request):            # None when the user may not see it
        if not request.user.has_perm("news.view_newsitem"):
            return None
        return Panel("News items", "news/_dashboard_panel.html", {"drafts": ...})

    registration = Registration(
        reviews=[Review("news.NewsItem", schedule_fields=("published_at", "expires_at"),
                        preview_template="news/item.html", preview_name="item",
                        change_notes=True)],
        roles={"Editors": ["news.add_newsitem", ...], "Publishers": [...]},
        dashboard_panels=[schedule_panel],
    )

The workflow itself knows none of these apps: it asks this module.
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Review:
    """A model under review. Its admin uses editorial.admin_mixins.ReviewedAdminMixin.

    model: "app_label.ModelName", a subclass of editorial.models.ReviewedModel.
    schedule_fields: time fields whose change is audited as "Scheduled".
    preview_template / preview_name: the public page's template and the name
        it gives the object, for previews of revisions (admin and shared links).
    preview_object: optional function (obj, revision) -> obj, for what the
        template reads besides the fields (news items: their documents).
    change_notes: saving a change readers can see asks whether it is major
        (a public note; the model defines `is_public` and `add_change_note`).
    page_keys: function (obj) -> the surrogate keys of the public pages that
        show it (common.page_cache): a change approved for a time ends their
        cached copies then (editorial.scheduling).
    """

    model: str
    schedule_fields: tuple = ()
    preview_template: str = ""
    preview_name: str = "object"
    preview_object: object = None
    change_notes: bool = False
    page_keys: object = None

    @property
    def model_class(self):
        return apps.get_model(self.model)


@dataclass(frozen=True)
class Registration:
    """One app's part: its reviewed models, the permissions each staff role
    (group name) gets from it ("app_label.codename" or "app_label.*"), and
    its dashboard panels: functions (request) -> Panel, a list of them, or None."""

    reviews: list = field(default_factory=list)
    roles: dict = field(default_factory=dict)
    dashboard_panels: list = field(default_factory=list)


@dataclass
class Panel:
    """A block of the admin index: a title and a template with its context."""

    title: str
    template_name: str
    context: dict = field(default_factory=dict)


def registrations():
    return [import_string(path) for path in settings.EDITORIAL_REGISTRATIONS]


def reviews():
    return [review for registration in registrations() for review in registration.reviews]


def review_for(model):
    """The Review of `model` (a class or instance), or None if it is not under review."""
    label = model._meta.label_lower
    for review in reviews():
        if review.model.lower() == label:
            return review
    return None


def role_permissions():
    """{group name: [permission, …]} of every registration, merged in order."""
    roles = {}
    for registration in registrations():
        for group, permissions in registration.roles.items():
            roles.setdefault(group, [])
            roles[group] += [name for name in permissions if name not in roles[group]]
    return roles


def dashboard_panels(request):
    """Every registration's panels the user may see, in registration order."""
    panels = []
    for registration in registrations():
        for make_panel in registration.dashboard_panels:
            made = make_panel(request)
            if made is None:
                continue
            panels += made if isinstance(made, list) else [made]
    return panels
