"""Expected answer for every URL name, per role. Other apps add their own table.

Each app may add ``tests/<app>/role_matrix.py`` defining ``EXPECTED`` (same shape as below) and
optionally ``url_kwargs(forum) -> dict`` for extra URL parameters; ``test_role_matrix`` merges them.
Values: 200 (page shown), LOGIN (302 to the sign-in page), 403, 404, 302 (other redirect), 405.
"""

from __future__ import annotations

from typing import Any

LOGIN = "login"
ROLES = [
    "anonymous",
    "signed_in",
    "participant",
    "panel_member",
    "evaluator",
    "facilitator",
    "officer",
    "council_admin",
    "superuser",
]


def row(*answers: object) -> dict[str, object]:
    assert len(answers) == len(ROLES)
    return dict(zip(ROLES, answers, strict=True))


EVERYONE = row(*[200] * len(ROLES))
FORUM_STAFF = row(LOGIN, 403, 403, 403, 200, 200, 200, 200, 200)
FORUM_MANAGERS = row(LOGIN, 403, 403, 403, 403, 403, 200, 200, 200)
COUNCIL_ADMINS = row(LOGIN, 403, 403, 403, 403, 403, 403, 200, 200)

EXPECTED: dict[str, dict[str, object]] = {
    "healthz": EVERYONE,
    "accessibility": EVERYONE,
    "privacy": EVERYONE,
    "source_code": EVERYONE,
    "login": row(200, 302, 302, 302, 302, 302, 302, 302, 302),
    "logout": row(*[405] * len(ROLES)),
    "password_reset_confirm": EVERYONE,  # an invalid link shows "This link has expired"
    "password_reset_complete": EVERYONE,
    "processes:home": EVERYONE,
    "processes:forum": EVERYONE,
    "processes:dashboard": FORUM_STAFF,
    "processes:forum_staff": FORUM_STAFF,
    "processes:forum_create": FORUM_MANAGERS,
    "processes:forum_edit": FORUM_MANAGERS,
    "processes:audit_log": FORUM_STAFF,
    "processes:audit_log_csv": FORUM_STAFF,
    "processes:forum_people": row(LOGIN, 403, 403, 403, 403, 200, 200, 200, 200),  # facilitators: names only
    "processes:forum_account_create": COUNCIL_ADMINS,
    "processes:forum_role_remove": FORUM_MANAGERS,  # GET asks for confirmation
    "processes:forum_set_password_link": row(*[405] * len(ROLES)),
    "processes:stage_edit": FORUM_MANAGERS,
}


def url_kwargs(forum: Any) -> dict[str, object]:
    from tests.factories import make_user

    from civicforum.core.roles import grant_role

    someones_role = grant_role(make_user(), forum, "participant")
    return {
        "forum_slug": forum.slug,
        "kind": "design",
        "role_id": someones_role.pk,
        "user_id": someones_role.user_id,
        "uidb64": "MQ",
        "token": "expired-token",
    }
