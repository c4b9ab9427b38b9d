"""Site-wide pages: health check, accessibility statement, error pages."""

from __future__ import annotations

import logging

from django.contrib.auth import views as auth_views
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.template import loader

from civicforum.core import accessibility as accessibility_statement
from civicforum.core import forum_contacts, source
from civicforum.core.permissions import CannotCreateForum, NotStaff

logger = logging.getLogger("civicforum.health")


def healthz(request: HttpRequest) -> HttpResponse:
    """``ok`` when the database answers a query; 503 otherwise, for load balancers and monitors."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.error("event=healthz_failed error=%r", str(error))
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def source_code(request: HttpRequest) -> HttpResponse:
    """The source of the CivicForum running here, as an archive pip installs (AGPL-3.0 section 13)."""
    response = HttpResponse(source.source_archive(), content_type="application/gzip")
    response["Content-Disposition"] = f'attachment; filename="{source.archive_name()}.tar.gz"'
    return response


class SignInView(auth_views.LoginView):
    """After signing in without ``?next=``: staff go to the staff area; a panel member or participant of
    exactly one forum to that forum's page, anyone else to the forums list.

    Panel members and public participants have no staff area; sending them there would greet them
    with 'You do not have permission to see this page'.
    """

    def get_default_redirect_url(self) -> str:
        from civicforum.processes.services import forums_taken_part_in

        if self.request.user.has_perm("processes.use_dashboard"):
            return super().get_default_redirect_url()
        forums = list(forums_taken_part_in(self.request.user)[:2])
        return forums[0].get_absolute_url() if len(forums) == 1 else resolve_url("processes:home")


def accessibility(request: HttpRequest) -> HttpResponse:
    """The statement names whom to contact: each forum's council and phone number. Where no number is
    set, residents are sent to the council's website, and staff are told where to set one. Its compliance
    status and dates are the council's to give (``core.accessibility``); staff are told which are unset."""
    contacts = forum_contacts.public_contacts()
    councils = {contact.council: contact.council_website for contact in contacts}
    context = {
        "contacts": [contact for contact in contacts if contact.phone],
        "councils": sorted(councils.items()),
        "missing_phone": [contact for contact in contacts if not contact.phone],
        "staff": request.user.has_perm("processes.use_dashboard"),
        "compliance": accessibility_statement.compliance(),
    }
    return render(request, "core/accessibility.html", context)


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy.html")


ERROR_PAGES: dict[int | str, tuple[str, list[str]]] = {
    400: (
        "Sorry, there is a problem with your request",
        ["Go back and try again. If you were filling in a form, your answers may not have been saved."],
    ),
    403: (
        "You do not have permission to see this page",
        [
            "Your account does not have a role on this forum that allows this.",
            "If you think you should have access, contact the forum officer or your council administrator.",
        ],
    ),
    "not_staff": (
        "You do not have permission to see this page",
        [
            "The staff area is for council officers, facilitators and evaluators.",
            "Your account is for taking part in forums: see the forum pages.",
        ],
    ),
    "cannot_create_forum": (
        "You do not have permission to see this page",
        [
            "Forums are created by council administrators and by the forum officers of the council’s forums.",
            "Ask your council administrator to create the forum, or to give you a role that allows this.",
        ],
    ),
    404: (
        "Page not found",
        [
            "If you typed the web address, check it is correct.",
            "If you pasted the web address, check you copied the entire address.",
        ],
    ),
    405: (
        "This page cannot be opened again",
        [
            "It showed the result of a button you pressed. You may have come back to it from your "
            "browser’s history, or with the Back or Forward button.",
            "Go back to the page with the button and press it again if you still need to.",
        ],
    ),
    500: (
        "Sorry, there is a problem with the service",
        ["Try again later.", "If you were filling in a form, your answers have not been saved."],
    ),
    "csrf": (
        "Sorry, your answers were not saved",
        [
            "This can happen if cookies are turned off in your browser, or were cleared while the page was "
            "open. This service needs cookies to remember your answers from one page to the next.",
            "Turn cookies on if they are off, then go back, reload the page and try again.",
        ],
    ),
}


def error_context(status: int | str) -> dict[str, object]:
    heading, paragraphs = ERROR_PAGES[status]
    return {"heading": heading, "paragraphs": paragraphs, "show_home_link": status != 500}


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/errors/error.html", error_context(404), status=404)


# Refusals whose page says more than 'no role on this forum that allows this', by the exception raised.
REFUSALS: dict[type[Exception], str] = {NotStaff: "not_staff", CannotCreateForum: "cannot_create_forum"}


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    status = next((key for kind, key in REFUSALS.items() if isinstance(exception, kind)), 403)
    return render(request, "core/errors/error.html", error_context(status), status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/errors/error.html", error_context(400), status=400)


def method_not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    """A button's address opened without pressing it (Django answers 405 with an empty page, a dead end)."""
    response = render(request, "core/errors/error.html", error_context(405), status=405)
    response["Allow"] = allowed
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form came back without its cookie: say why in plain words, not Django's technical page."""
    return render(request, "core/errors/error.html", error_context("csrf"), status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: the error may come from a context processor or the database itself.
    return HttpResponse(loader.get_template("core/errors/error.html").render(error_context(500)), status=500)
