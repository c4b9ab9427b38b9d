"""Record significant actions in the audit log.

Call ``record(request.user, "forum.created", forum=forum, target=forum, title=forum.title)``
from services after the change succeeds. ``details`` must be JSON-serialisable and must never
contain personal data beyond what the action needs (no registration answers).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from civicforum.core.models import AuditEvent

# What each action means, in words, for the staff pages' activity list; each app adds its own actions
# in its AppConfig.ready, so core knows none of them.
DESCRIPTIONS: dict[str, str] = {}


def describe(action: str) -> str:
    """``action`` in plain English; an action nobody described is shown as its code, never hidden."""
    return DESCRIPTIONS.get(action, action)


def record(
    actor: Any, action: str, forum: Any = None, target: models.Model | None = None, **details: Any
) -> AuditEvent:
    """Append one event; anonymous or missing actors are stored as the system."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_label=user.get_username() if user else "",
        forum=forum,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:255] if target is not None else "",
        details=details,
    )


def forget_targets(forum: Any, model: type[models.Model], label: str) -> int:
    """Once a forum's records of ``model`` are deleted under its retention schedule, its events about
    them keep who did what and when, but no longer say whom it was about: ``label`` (neutral words such
    as "A registration, deleted under the retention schedule") replaces each target's label, which
    named the person (a registration reference), and its id. The only change ever made to an event."""
    events = AuditEvent.objects.filter(forum=forum, target_type=model._meta.label_lower)
    return events.update(target_id="", target_label=label)


def events_for_forum(forum: Any) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(forum=forum).select_related("actor").order_by("-created_at", "-id")
