"""The workflow's own part of the editorial registrations: its pages' permissions
and the review queue on the admin index."""

from .dashboard import review_queue
from .registry import Registration

registration = Registration(
    roles={
        "Editors": ["editorial.view_revision"],
        "Publishers": ["editorial.view_revision", "editorial.view_auditentry"],
    },
    dashboard_panels=[review_queue],
)
