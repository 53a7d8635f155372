"""Revisions of reviewed content and the audit log.

A model opts in by inheriting ReviewedModel and being registered by its app
(editorial.registry, README "Editorial workflow"). Its row always holds what
is (or will go) live; a change an Editor makes to published content is kept
here as an unpublished change until a Publisher publishes it.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class RevisionQuerySet(models.QuerySet):
    def for_object(self, obj):
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        )

    def unpublished_changes(self):
        """Changes to published content that are not live and not replaced:
        not submitted yet, waiting for review, approved for later, or sent
        back to their author. The newest of an object's is its working copy."""
        return self.filter(applied=False, state__in=Revision.UNPUBLISHED_CHANGE_STATES)

    def waiting_for_review(self):
        return self.filter(state=Revision.State.SUBMITTED)

    def scheduled(self):
        """Approved changes to live content waiting for their time."""
        return self.filter(state=Revision.State.SCHEDULED)


class Revision(models.Model):
    """One save of a reviewed object: who, when, why, and its full content."""

    class State(models.TextChoices):
        SAVED = "saved", "Saved"
        UNSUBMITTED = "unsubmitted", "Saved, not yet submitted for review"
        SUBMITTED = "submitted", "Waiting for review"
        PUBLISHED = "published", "Published after review"
        REJECTED = "rejected", "Sent back"
        SUPERSEDED = "superseded", "Replaced by a later revision"
        SCHEDULED = "scheduled", "Approved, to be published at a set time"

    class Kind(models.TextChoices):
        """What a change to content the public can see means for readers."""

        MINOR = "minor", "Minor: readers need not be told (a typo, a broken link)"
        MAJOR = "major", "Major: readers need to know (the note is shown on the page and sent to subscribers)"  # noqa: E501

    UNPUBLISHED_CHANGE_STATES = (
        State.UNSUBMITTED, State.SUBMITTED, State.SCHEDULED, State.REJECTED,
    )

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    object = GenericForeignKey("content_type", "object_id")
    number = models.PositiveIntegerField(help_text="1 for the object's first revision, and so on.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    message = models.CharField(max_length=300, blank=True)
    content = models.JSONField(encoder=DjangoJSONEncoder)
    applied = models.BooleanField(
        default=True, help_text="Its content was written to the object (is or was live)."
    )
    state = models.CharField(max_length=11, choices=State, default=State.SAVED)
    change_kind = models.CharField(
        "type of change", max_length=5, choices=Kind, blank=True,
        help_text="Asked when content the public can see changes.",
    )
    change_note = models.TextField(
        blank=True, help_text="A major change's public note, shown once it is live."
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    publish_at = models.DateTimeField(
        null=True, blank=True, help_text="When an approved change to live content goes live."
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "number"], name="editorial_revision_number"
            )
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-number"]),
            # The next approved change due (editorial.scheduling), on every request.
            models.Index(
                fields=["publish_at"], name="editorial_scheduled",
                condition=models.Q(state="scheduled"),
            ),
        ]

    def __str__(self):
        return f"Revision {self.number} of {self.content_type.name} {self.object_id}"

    @property
    def author_name(self):
        return author_name(self.author)

    @property
    def is_unpublished_change(self):
        return not self.applied and self.state in self.UNPUBLISHED_CHANGE_STATES

    @property
    def is_proposal(self):
        """Not live yet: an unpublished change, or a draft waiting for review."""
        return self.is_unpublished_change or self.state == self.State.SUBMITTED

    @property
    def is_major(self):
        return self.change_kind == self.Kind.MAJOR


def author_name(user):
    if user is None:
        return "a deleted user"
    return user.get_full_name() or user.get_username()


class ReviewedModel(models.Model):
    """Opt a model into review: Editors' changes to published rows wait for a Publisher.

    Subclasses define `is_published` (a property: is it online, scheduled to
    be, or still at its address though withdrawn? Then only Publishers change
    it) and `publish(at=None)`, and may list `editorial_fields` (kept in
    revisions; by default every editable concrete field), `editorial_related`
    ({name of a reverse relation: [its fields]}, recorded with each revision)
    and `publication_problems()` ({field: [messages]} that block review).
    A model whose registration asks for change notes (news items) also
    defines `is_public` (readers can see it now) and
    `add_change_note(note, at)`. Publishing needs the permission
    "<app>.publish_<model>".
    """

    # Revisions are not deleted with their object (no GenericRelation): the
    # history of a deleted item stays for the audit log's sake.
    editorial_fields = None
    editorial_related = {}
    editorial_rich_text = ()  # fields compared as readable text rather than HTML
    editorial_publisher_fields = ("status",)  # only Publishers set these

    class Meta:
        abstract = True

    @property
    def is_published(self):
        raise NotImplementedError

    def publication_problems(self):
        return {}

    def publish(self, at=None):
        """Make the object live, now or at `at` (in memory; the caller saves)."""
        raise NotImplementedError


class AuditEntry(models.Model):
    """One editorial or security event, kept for EDITORIAL_AUDIT_RETENTION_DAYS."""

    class Action(models.TextChoices):
        SUBMIT = "submit", "Submitted for review"
        APPROVE = "approve", "Approved and published"
        REJECT = "reject", "Sent back"
        PUBLISH = "publish", "Published"
        UNPUBLISH = "unpublish", "Unpublished"
        WITHDRAW = "withdraw", "Withdrawn"
        SCHEDULE = "schedule", "Scheduled"
        REVERT = "revert", "Reverted"
        DELETE = "delete", "Deleted"
        SHARE = "share", "Preview link shared"
        LOCKOUT = "lockout", "Log-in locked out"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField("who", max_length=150, blank=True)
    action = models.CharField(max_length=10, choices=Action)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="kind"
    )
    object_id = models.CharField(max_length=40, blank=True)
    object_repr = models.CharField("what", max_length=250, blank=True)
    revision = models.ForeignKey(Revision, null=True, blank=True, on_delete=models.SET_NULL)
    detail = models.TextField(blank=True)
    bulk = models.BooleanField(default=False, help_text="Part of an action on several objects.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"

    def __str__(self):
        return f"{self.created_at:%d/%m/%Y %H:%M} {self.actor_name} {self.get_action_display()}"
