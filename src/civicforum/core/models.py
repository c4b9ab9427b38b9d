"""Who may do what on which forum, and the audit trail of what they did."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    """Per-forum roles. Council administrators are held per council in ``CouncilAdministrator``."""

    OFFICER = "officer", "Forum officer"
    FACILITATOR = "facilitator", "Facilitator"
    EVALUATOR = "evaluator", "Evaluator"
    PANEL_MEMBER = "panel_member", "Panel member"
    PARTICIPANT = "participant", "Public participant"

    @property
    def in_a_sentence(self) -> str:
        """The role as a sentence says it: 'Grace Lewis is now an evaluator', not 'is now evaluator'."""
        label = str(self.label).lower()
        return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"


class CouncilAdministrator(models.Model):
    """A user who runs every forum of one council: creates forums, appoints officers."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="council_admin_of"
    )
    council = models.ForeignKey("processes.Council", on_delete=models.CASCADE, related_name="administrators")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "council"], name="unique_council_administrator")
        ]
        verbose_name = "council administrator"

    def __str__(self) -> str:
        return f"{self.user} administers {self.council}"


class ForumRole(models.Model):
    """One role a user holds on one forum; a user may hold several roles on the same forum."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_roles")
    forum = models.ForeignKey("processes.Forum", on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "forum", "role"], name="unique_forum_role")]
        indexes = [models.Index(fields=["user", "forum"])]

    def __str__(self) -> str:
        return f"{self.user} is {self.get_role_display()} on {self.forum}"


class AuditEvent(models.Model):
    """An append-only record of a significant action, for accountability and data-protection audits."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        max_length=150, blank=True, help_text="Username kept if the user is deleted."
    )
    forum = models.ForeignKey(
        "processes.Forum", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        when = timezone.localtime(self.created_at)  # the council's time, as the audit log page shows it
        return f"{when:%Y-%m-%d %H:%M} {self.actor_label or 'system'} {self.action}"
