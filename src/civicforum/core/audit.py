"""Record significant actions in the audit log.

Call ``record(request.user, "forum.created", forum=forum, target=forum, title=forum.title)``
from services after the change succeeds. ``details`` must be JSON-serialisable and must never
contain personal data beyond what the action needs (no registration answers).
"""

from __future__ import annotations

import csv
import io
import string
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.forms.utils import pretty_name
from django.utils import timezone

from civicforum.core.models import AuditEvent, CouncilAdministrator, ForumRole, Role
from civicforum.core.roles import STAFF_FORUM_ROLES
from civicforum.spreadsheet import spreadsheet_safe
from civicforum.wording import counted

# What each action means, in words, for the staff pages' activity list; each app adds its own actions
# in its AppConfig.ready, so core knows none of them.
DESCRIPTIONS: dict[str, str] = {}


# The details worth reading beside an action, as a format string over what it recorded (for example
# "{what}, {people:person|people}", where "one|many" counts a number in words: "1 person", "1,500
# people"); each app adds its own beside its DESCRIPTIONS. Only details that name nobody belong here:
# evaluators and facilitators read the log too.
DETAILS: dict[str, str] = {}


class _DetailFormatter(string.Formatter):
    """str.format, plus a "one|many" format spec that counts a whole number in words."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec and isinstance(value, int):
            one, many = format_spec.split("|", 1)
            return counted(value, one, many)
        return super().format_field(value, format_spec)


_DETAIL_FORMATTER = _DetailFormatter()


# The labels of the fields an action's details name under ``FIELD_NAME_DETAILS`` (what an officer
# changed on a form), by action: the form's own words, so the log names what the officer saw. Each app
# adds its own beside its DETAILS; the details keep the field names, which outlive a relabelled form.
FIELD_LABELS: dict[str, dict[str, str]] = {}
FIELD_NAME_DETAILS = ("changed", "fields")


def form_labels(form_class: type[forms.BaseForm]) -> dict[str, str]:
    """A form's field labels by field name, as the form shows them, for ``FIELD_LABELS`` (without the
    "(optional)" a label may end with, which says nothing about the change)."""
    return {
        name: str(field.label or pretty_name(name)).removesuffix(" (optional)")
        for name, field in form_class.base_fields.items()
    }


def field_label(action: str, name: str) -> str:
    """A changed field in words: its form's label, or else its name as words ("Registration open"),
    never the code name."""
    return FIELD_LABELS.get(action, {}).get(name) or pretty_name(name)


def describe(action: str) -> str:
    """``action`` in plain English; an action nobody described is shown as its code, never hidden."""
    return DESCRIPTIONS.get(action, action)


# The words for coded values in details, by detail key (a role recorded as "panel_member" reads "Panel
# member"), as the forms offering them name them; each app adds its own beside its DETAILS. The details
# keep the codes, which outlive a renamed choice.
VALUE_LABELS: dict[str, dict[str, str]] = {"role": dict(Role.choices)}


def summarise(action: str, details: dict[str, Any]) -> str:
    """An event's details in words, as its app chose to show them (lists joined with commas); empty
    when it chose none, or when an event recorded before a detail was added lacks it."""
    template = DETAILS.get(action)
    if not template:
        return ""
    values = {key: _shown(action, key, value) for key, value in details.items()}
    try:
        return _DETAIL_FORMATTER.vformat(template, (), values)
    except (KeyError, IndexError, ValueError):
        return ""


def _shown(action: str, key: str, value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(_words(action, key, value))
    return VALUE_LABELS.get(key, {}).get(value, value) if isinstance(value, str) else value


def _words(action: str, key: str, values: list[Any]) -> list[str]:
    if key in FIELD_NAME_DETAILS:
        return [f"‘{field_label(action, str(name))}’" for name in values]
    return list(map(str, values))


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
    named the person (a registration reference), and its id. With ``forget_residents``, the only change
    ever made to an event."""
    events = AuditEvent.objects.filter(forum=forum, target_type=model._meta.label_lower)
    return events.update(target_id="", target_label=label)


RESIDENT_ROLES = [str(role) for role in Role if role not in STAFF_FORUM_ROLES]


def forget_residents(forum: Any, label: str) -> int:
    """Once a forum's personal data is deleted under its retention schedule, its events no longer name the
    residents who held an account on it (panel members, public participants), whose usernames are their
    email addresses: ``label`` replaces them as the target (the account, or its role) and as the one who
    acted, and role events lose the username they recorded. Staff (anyone with a staff role on the forum,
    its council's administrators, site administrators) stay named: they answer for what they did.
    Returns how many events changed."""
    users = get_user_model()
    events = AuditEvent.objects.filter(forum=forum)
    role_events = events.filter(target_type=ForumRole._meta.label_lower, details__role__in=RESIDENT_ROLES)
    user_type = users._meta.label_lower
    accounts = events.filter(
        target_type=user_type, action="account.created", details__role__in=RESIDENT_ROLES
    )
    usernames = {name for name in role_events.values_list("details__user", flat=True) if name}
    ids = {
        str(pk)
        for pk in ForumRole.objects.filter(forum=forum, role__in=RESIDENT_ROLES).values_list(
            "user", flat=True
        )
    }
    ids |= {
        str(pk)
        for pk in users.objects.filter(**{f"{users.USERNAME_FIELD}__in": usernames}).values_list(
            "pk", flat=True
        )
    }
    ids |= set(accounts.values_list("target_id", flat=True))
    staff = users.objects.filter(
        Q(is_staff=True)
        | Q(is_superuser=True)
        | Q(pk__in=ForumRole.objects.filter(forum=forum, role__in=STAFF_FORUM_ROLES).values("user"))
        | Q(pk__in=CouncilAdministrator.objects.filter(council_id=forum.council_id).values("user"))
    )
    staff_ids = {str(pk) for pk in staff.values_list("pk", flat=True)}
    staff_names = set(staff.values_list(users.USERNAME_FIELD, flat=True))
    residents = ids - staff_ids
    resident_names = (
        usernames | set(users.objects.filter(pk__in=residents).values_list(users.USERNAME_FIELD, flat=True))
    ) - staff_names
    changed = events.filter(Q(actor__in=residents) | Q(actor_label__in=resident_names)).update(
        actor=None, actor_label=label
    )
    # By label too: an account erased since (``privacy.erase_finished_accounts``) no longer has the
    # username the forum's events recorded, so only that username still finds them.
    changed += (
        events.filter(target_type=user_type)
        .filter(Q(target_id__in=residents) | Q(target_label__in=resident_names))
        .update(target_id="", target_label=label)
    )
    for event in role_events.filter(details__user__in=resident_names):
        event.details.pop("user")
        event.target_id, event.target_label = "", label
        event.save(update_fields=["details", "target_id", "target_label"])
        changed += 1
    return changed


def events_for_forum(forum: Any, action: str = "", actor: str = "") -> models.QuerySet[AuditEvent]:
    """The forum's trail, newest first; ``action`` and ``actor`` (a username as recorded, which outlives
    a deleted account) narrow it when given."""
    events = AuditEvent.objects.filter(forum=forum).select_related("actor").order_by("-created_at", "-id")
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_label=actor)
    return events


def filter_choices(forum: Any) -> tuple[list[str], list[str]]:
    """The actions (in order of their description) and the usernames that occur in the forum's trail:
    what its filters offer, so each choice on its own finds entries."""
    events = AuditEvent.objects.filter(forum=forum).order_by()
    actions = sorted(events.values_list("action", flat=True).distinct(), key=describe)
    actors = events.exclude(actor_label="").values_list("actor_label", flat=True).distinct()
    return actions, sorted(actors, key=str.lower)


CSV_HEADER = ["when", "who", "action", "description", "details", "target_type", "target_id"]


def events_csv(events: Iterable[AuditEvent]) -> str:
    """The entries as CSV text for a spreadsheet (the download adds the byte order mark Excel needs).

    Times are UK local time with their UTC offset, unambiguous across the clock change. Every cell is
    made safe from running as a formula (a username may start with '+' or '-'). Target labels and
    details are left out: they can name residents, whom some staff who read the trail may not see.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for event in events:
        row = [
            timezone.localtime(event.created_at).isoformat(timespec="seconds"),
            event.actor_label or "System",
            event.action,
            describe(event.action),
            summarise(event.action, event.details),
            event.target_type,
            event.target_id,
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue()
