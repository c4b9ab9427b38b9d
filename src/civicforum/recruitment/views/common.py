"""Helpers shared by the recruitment views."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from civicforum.recruitment.encryption import decrypt_text, encrypt_text
from civicforum.recruitment.models import RecruitmentSettings

MANAGE = "recruitment.manage"
PERSONAL = "recruitment.view_personal_data"


def settings_for(forum: Any) -> RecruitmentSettings:
    row, _ = RecruitmentSettings.objects.get_or_create(forum=forum)
    return row


def forum_of(request: HttpRequest) -> Any:
    return request.forum  # type: ignore[attr-defined]


def client_address(request: HttpRequest) -> str:
    """The visitor's address for rate limiting; behind the site's TLS proxy, the one it forwarded."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "unknown")


def public_forum(forum_slug: str) -> Any:
    from civicforum.processes.models import Forum

    return get_object_or_404(Forum.objects.select_related("council"), slug=forum_slug, published=True)


def registration_state(request: HttpRequest, forum: Any) -> dict[str, Any]:
    """The registration in progress in this browser (empty if none, or if the keys changed since)."""
    token = request.session.get(_registration_key(forum))
    if not token:
        return {}
    try:
        state: dict[str, Any] = json.loads(decrypt_text(token))
    except ImproperlyConfigured:  # encrypted with a key since removed: start again
        return {}
    return state


def save_registration_state(request: HttpRequest, forum: Any, state: dict[str, Any]) -> None:
    """Keep the registration in progress encrypted, as on ``Respondent``: it holds names and
    special-category answers, and Django stores session data signed but readable in its table."""
    request.session[_registration_key(forum)] = encrypt_text(json.dumps(state))


def _registration_key(forum: Any) -> str:
    return f"recruitment-registration-{forum.pk}"
