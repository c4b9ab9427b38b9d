"""Helpers shared by the recruitment views."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

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


def registration_session_key(forum: Any) -> str:
    return f"recruitment-registration-{forum.pk}"
