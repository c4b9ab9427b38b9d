"""Object-level role predicates shared by every app.

Apps declare permissions in their own ``rules.py`` by combining these predicates, e.g.::

    import rules
    from civicforum.core.roles import can_manage_forum, is_facilitator

    rules.add_perm("recruitment.send_letters", can_manage_forum)
    rules.add_perm("tables.allocate", can_manage_forum | is_facilitator)

Every predicate takes ``(user, forum)``; with no forum it is false. Superusers pass every
permission through Django's ModelBackend.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Q

from civicforum.core.models import CouncilAdministrator, ForumRole, Role

COUNCIL_ADMIN = "council_admin"
STAFF_FORUM_ROLES = frozenset({Role.OFFICER, Role.FACILITATOR, Role.EVALUATOR})
STAFF_ROLES = STAFF_FORUM_ROLES | {COUNCIL_ADMIN}
_CACHE_ATTR = "_civicforum_forum_roles"


def roles_on(user: Any, forum: Any) -> frozenset[str]:
    """The roles a user holds on a forum (``COUNCIL_ADMIN`` included), cached on the user object."""
    if forum is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cache: dict[int, frozenset[str]] = user.__dict__.setdefault(_CACHE_ATTR, {})
    if forum.pk not in cache:
        held = set(ForumRole.objects.filter(user=user, forum=forum).values_list("role", flat=True))
        if CouncilAdministrator.objects.filter(user=user, council_id=forum.council_id).exists():
            held.add(COUNCIL_ADMIN)
        cache[forum.pk] = frozenset(held)
    return cache[forum.pk]


def forget_cached_roles(user: Any) -> None:
    user.__dict__.pop(_CACHE_ATTR, None)


def has_role(*wanted: str) -> rules.Predicate:
    """A predicate true when the user holds any of ``wanted`` on the forum."""
    wanted_set = frozenset(str(role) for role in wanted)

    def check(user: Any, forum: Any) -> bool:
        return bool(roles_on(user, forum) & wanted_set)

    return rules.predicate(check, name=f"has_role({', '.join(sorted(wanted_set))})")


is_council_admin = has_role(COUNCIL_ADMIN)
is_forum_officer = has_role(Role.OFFICER)
is_facilitator = has_role(Role.FACILITATOR)
is_evaluator = has_role(Role.EVALUATOR)
is_panel_member = has_role(Role.PANEL_MEMBER)
is_participant = has_role(Role.PARTICIPANT)
is_forum_staff = has_role(*STAFF_ROLES)
can_manage_forum = has_role(COUNCIL_ADMIN, Role.OFFICER)


@rules.predicate
def is_published(user: Any, forum: Any) -> bool:
    return bool(forum is not None and forum.published)


def councils_open_to(user: Any) -> Q:
    """The councils in which ``user`` may open a forum, as a condition on councils (one query however
    many councils are listed): those they administer and those with a forum they are an officer of."""
    return Q(pk__in=CouncilAdministrator.objects.filter(user=user).values("council_id")) | Q(
        pk__in=ForumRole.objects.filter(user=user, role=Role.OFFICER).values("forum__council_id")
    )


@rules.predicate
def can_create_forum_in(user: Any, council: Any) -> bool:
    """Council administrators and officers of any of the council's forums may open a new forum."""
    if council is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return type(council).objects.filter(councils_open_to(user), pk=council.pk).exists()


@rules.predicate
def is_staff_anywhere(user: Any) -> bool:
    """True for anyone who holds a staff role on at least one forum (the officer dashboard)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return (
        user.is_superuser
        or CouncilAdministrator.objects.filter(user=user).exists()
        or ForumRole.objects.filter(
            user=user, role__in=[r for r in STAFF_ROLES if r != COUNCIL_ADMIN]
        ).exists()
    )


def grant_role(user: Any, forum: Any, role: str) -> ForumRole:
    """Give ``user`` a role on ``forum`` (idempotent)."""
    forum_role, _ = ForumRole.objects.get_or_create(user=user, forum=forum, role=role)
    forget_cached_roles(user)
    return forum_role


def make_council_admin(user: Any, council: Any) -> CouncilAdministrator:
    admin, _ = CouncilAdministrator.objects.get_or_create(user=user, council=council)
    forget_cached_roles(user)
    return admin
