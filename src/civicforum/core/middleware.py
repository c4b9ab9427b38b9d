"""Response headers Django's SecurityMiddleware does not set, and a page for Django's empty 405."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from civicforum.core.views import method_not_allowed


class SecurityHeadersMiddleware:
    """Add the Content-Security-Policy and Permissions-Policy headers to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The Django admin relies on inline scripts; it is staff-only and keeps its own defaults.
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class MethodNotAllowedPageMiddleware:
    """Give Django's empty 405 (a POST-only address opened from the browser's history, or with Back or
    Forward) the service's error page, which says what happened and links on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not response.content and not request.path.startswith("/admin/"):
            return method_not_allowed(request, response.get("Allow", ""))
        return response
