"""Guard views by a permission on the forum named in the URL.

Function views::

    @forum_permission_required("processes.change_forum")
    def edit(request, forum_slug): ...      # request.forum is the Forum

Class views::

    class Edit(ForumPermissionMixin, FormView):
        permission_required = "processes.change_forum"   # self.forum is the Forum

Anonymous users are sent to the login page; signed-in users without the permission get 403;
an unknown slug gives 404. With ``conceal=True`` (a public page whose forum may be an unpublished
draft) every refusal is that same 404, so the public cannot learn that a draft exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

FORUM_SLUG_KWARG = "forum_slug"


def load_forum_or_deny(request: HttpRequest, perm: str, slug: str, conceal: bool = False) -> Any:
    """Return the forum if ``request.user`` has ``perm`` on it; raise 404/403 or signal login
    (``conceal``: 404 for every refusal, as for a forum that does not exist)."""
    from civicforum.processes.models import Forum

    forum = get_object_or_404(Forum.objects.select_related("council"), slug=slug)
    if not request.user.has_perm(perm, forum):
        if conceal:
            raise Http404("No forum matches the given query.")
        if not request.user.is_authenticated:
            raise _LoginRequired
        if not request.user.has_perm("processes.use_dashboard"):
            raise NotStaff  # a panel member: 'no role on this forum that allows this' reads as a mistake
        raise PermissionDenied
    return forum


class _LoginRequired(Exception):
    pass


class NotStaff(PermissionDenied):
    """A signed-in account with no staff role on any forum asked for the staff area: the 403 page says
    whom the staff area is for, not that the account lacks a role on a forum."""


class CannotCreateForum(PermissionDenied):
    """Staff who may open a forum in no council (a facilitator, an evaluator) asked to create one: the 403
    page says who creates forums, not that the account lacks a role on a forum (the page is no forum's)."""


def forum_permission_required(
    perm: str, slug_kwarg: str = FORUM_SLUG_KWARG, conceal: bool = False
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                request.forum = load_forum_or_deny(request, perm, kwargs[slug_kwarg], conceal)  # type: ignore[attr-defined]
            except _LoginRequired:
                return redirect_to_login(request.get_full_path())
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class ForumPermissionMixin:
    """Class-view counterpart of ``forum_permission_required``; sets ``self.forum``."""

    permission_required: str = ""
    slug_kwarg: str = FORUM_SLUG_KWARG
    forum: Any

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.forum = load_forum_or_deny(request, self.permission_required, kwargs[self.slug_kwarg])
        except _LoginRequired:
            return redirect_to_login(request.get_full_path())
        request.forum = self.forum  # type: ignore[attr-defined]
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["forum"] = self.forum
        return context
