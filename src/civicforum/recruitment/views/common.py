"""Helpers shared by the recruitment views."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme

from civicforum.recruitment.encryption import decrypt_text, encrypt_text
from civicforum.recruitment.models import RecruitmentSettings
from civicforum.recruitment.services import registration

MANAGE = "recruitment.manage"
PERSONAL = "recruitment.view_personal_data"


def settings_for(forum: Any) -> RecruitmentSettings:
    row, _ = RecruitmentSettings.objects.get_or_create(forum=forum)
    return row


def forum_of(request: HttpRequest) -> Any:
    return request.forum  # type: ignore[attr-defined]


def request_settings(request: HttpRequest) -> RecruitmentSettings:
    """The recruitment settings of the request's forum, read once for the request: ``closed_after_purge``
    checks their purge date, and the page it lets through reads them again for its own needs."""
    cached: RecruitmentSettings | None = getattr(request, "recruitment_settings", None)
    if cached is None:
        cached = settings_for(forum_of(request))
        request.recruitment_settings = cached  # type: ignore[attr-defined]
    return cached


def closed_after_purge(
    reading_allowed: bool = False,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Stop a staff page that adds to or changes the pool, the lottery or the panel once the retention
    purge has deleted the personal data: its input would fail (no addresses or codes are left) or start
    recruiting again on data that should be gone. ``reading_allowed`` still shows the page itself.
    Goes under ``forum_permission_required``, which finds the forum."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            forum = forum_of(request)
            purged_at = request_settings(request).purged_at
            if purged_at is None or (reading_allowed and request.method in ("GET", "HEAD")):
                return view(request, *args, **kwargs)
            deleted_on = date_format(timezone.localdate(purged_at), "j F Y")
            messages.error(
                request,
                f"Personal data was deleted on {deleted_on} under the retention schedule, so recruitment "
                "for this forum is closed and that can no longer be done.",
            )
            return redirect("recruitment:overview", forum_slug=forum.slug)

        return wrapped

    return decorator


def gone_after_purge(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A download of personal data (a spreadsheet of the pool or the panel, the letters and mailing file,
    the letters to selected members) once the retention purge has deleted it: a page saying so and when,
    with 410 Gone, not an empty file or 'No such file'. Goes under ``forum_permission_required``, which
    finds the forum."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        purged_at = request_settings(request).purged_at
        if purged_at is None:
            return view(request, *args, **kwargs)
        context = {"forum": forum_of(request), "purged_at": purged_at}
        return render(request, "recruitment/data_deleted.html", context, status=410)

    return wrapped


def gone_for_residents(
    request: HttpRequest, forum: Any, heading: str, consequence: str
) -> HttpResponse | None:
    """A public page that acts on a registration (registering, withdrawing, replying to a panel
    invitation) once the retention purge has deleted them all: a page saying so and when, with 410 Gone,
    not its form, which would answer 'We could not find a registration' and count a wrong try, nor
    'Registration is not open at the moment' (None: not deleted)."""
    purged_at = registration.data_deleted_at(forum)
    if purged_at is None:
        return None
    context = {"forum": forum, "purged_at": purged_at, "heading": heading, "consequence": consequence}
    return render(request, "recruitment/registrations_deleted.html", context, status=410)


def page_to_return_to(request: HttpRequest, fallback: str) -> str:
    """The page that sent the officer here (its ``next``), else ``fallback``. Only a page of this site
    is followed, never another site's address put in a link (an open redirect)."""
    target = request.GET.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else fallback


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Back to ``page_to_return_to``: closing registration from the selection page's warning returns to
    the selection page."""
    return redirect(page_to_return_to(request, fallback))


def client_address(request: HttpRequest) -> str:
    """The visitor's address for rate limiting; behind the site's proxies, the one they forwarded.

    Each proxy appends the address it was reached from to X-Forwarded-For, so only the last
    ``TRUSTED_PROXIES`` entries are the proxies' word; anything before them the visitor wrote, and a
    visitor who could choose their address could give every guess a fresh limit."""
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    proxies = settings.TRUSTED_PROXIES if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) else 0
    if proxies and len(forwarded) >= proxies and forwarded[-proxies]:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "unknown")


def public_forum(forum_slug: str) -> Any:
    from civicforum.processes.models import Forum

    return get_object_or_404(Forum.objects.select_related("council"), slug=forum_slug, published=True)


def registration_state(request: HttpRequest, forum: Any) -> dict[str, Any]:
    """The registration in progress in this browser (empty if none, or if the keys changed since)."""
    token = request.session.get(registration.session_key(forum))
    if not token:
        return {}
    try:
        state: dict[str, Any] = json.loads(decrypt_text(token))
    except ImproperlyConfigured:  # encrypted with a key since removed: start again
        return {}
    return state


# How long a resident's registration in progress is kept after their last step: long enough to finish
# another day (WCAG 2.2.1 asks a time limit that loses someone's answers, with no way to extend it, to be
# over 20 hours), far shorter than a signed-in session's two weeks.
REGISTRATION_KEPT_FOR = 24 * 60 * 60


def save_registration_state(request: HttpRequest, forum: Any, state: dict[str, Any]) -> None:
    """Keep the registration in progress encrypted, as on ``Respondent``: it holds names and
    special-category answers, and Django stores session data signed but readable in its table.

    A resident's session ends ``REGISTRATION_KEPT_FOR`` after their last step, so answers left half-way,
    perhaps on a library's computer, are not shown to the next person there for the next two weeks and
    leave the session table at the next daily purge. An officer's session, registering someone by
    phone, is their sign-in and keeps its own length."""
    _keep_in_session(request, registration.session_key(forum), encrypt_text(json.dumps(state)))


def _keep_in_session(request: HttpRequest, key: str, value: Any) -> None:
    """Store ``value``; a resident's session then ends ``REGISTRATION_KEPT_FOR`` after this (an officer's
    is their sign-in and keeps its own length)."""
    request.session[key] = value
    if not request.user.is_authenticated:
        request.session.set_expiry(REGISTRATION_KEPT_FOR)


def keep_outcome(request: HttpRequest, page: str, forum: Any, outcome: dict[str, Any]) -> None:
    """What a public form's result page (``page``) shows, kept for the page the browser is sent on to
    (Post/Redirect/Get, as the registration's done page): reloading it, or going back to it, shows it
    again instead of sending the form a second time. Only what the page says is kept, never what was
    typed (support needs are often health data)."""
    _keep_in_session(request, f"recruitment-{page}-{forum.pk}", outcome)


def kept_outcome(request: HttpRequest, page: str, forum: Any) -> dict[str, Any] | None:
    """What ``keep_outcome`` kept for ``page`` in this browser (None: nothing, so nothing to show)."""
    outcome: dict[str, Any] | None = request.session.get(f"recruitment-{page}-{forum.pk}")
    return outcome
