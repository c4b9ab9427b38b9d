from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject


def site(request: HttpRequest) -> dict[str, Any]:
    """Site name, phase, where to give feedback and to get the source code, and the council shown in the
    header (when the site serves a single council)."""
    return {
        "site_name": settings.CIVICFORUM_SITE_NAME,
        "site_phase": settings.CIVICFORUM_PHASE,
        "feedback_url": settings.CIVICFORUM_FEEDBACK_URL,
        "source_url": settings.CIVICFORUM_SOURCE_URL or reverse("source_code"),
        "header_name": SimpleLazyObject(_single_council_name),
    }


def _single_council_name() -> str:
    from civicforum.processes.models import Council

    names = list(Council.objects.values_list("name", flat=True)[:2])
    return names[0] if len(names) == 1 else settings.CIVICFORUM_SITE_NAME
