"""Public forum pages and the officer's staff area. Views stay thin; rules live in services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from civicforum.core import audit
from civicforum.core.addresses import public_address
from civicforum.core.downloads import csv_attachment
from civicforum.core.models import AuditEvent, ForumRole, Role
from civicforum.core.permissions import CannotCreateForum, NotStaff, forum_permission_required
from civicforum.processes import services
from civicforum.processes.forms import (
    AuditLogFilterForm,
    ForumForm,
    LastOfficerRemovalForm,
    NewAccountForm,
    RoleForm,
    StageForm,
)
from civicforum.processes.models import Forum, Stage
from civicforum.recruitment.services import privacy


def _form_page(
    request: HttpRequest,
    form: Any,
    heading: str,
    submit_label: str,
    forum: Forum | None = None,
    back_url: str = "",
    intro: str = "",
) -> HttpResponse:
    """Render a one-form staff page; the back link defaults to the forum's staff page."""
    if forum is not None and not back_url:
        back_url = reverse("processes:forum_staff", kwargs={"forum_slug": forum.slug})
    context = {
        "form": form,
        "heading": heading,
        "submit_label": submit_label,
        "caption": forum.title if forum is not None else "",
        "back_url": back_url,
        "intro": intro,
    }
    return render(request, "core/form_page.html", context)


def home(request: HttpRequest) -> HttpResponse:
    current, past = services.current_and_past(services.public_forums())
    return render(request, "processes/home.html", {"current_forums": current, "past_forums": past})


@forum_permission_required("processes.view_forum", conceal=True)
def forum_detail(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """The public page; a draft is shown only to its staff, and is a 404 for everyone else."""
    forum = request.forum  # type: ignore[attr-defined]
    return render(
        request, "processes/forum_detail.html", {"forum": forum, "timeline": services.timeline(forum)}
    )


def _require_staff(request: HttpRequest) -> None:
    """The staff area's pages that belong to no forum refuse an account taking part in forums, saying
    whom the staff area is for."""
    if not request.user.has_perm("processes.use_dashboard"):
        raise NotStaff


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    context = {
        "forums": services.staff_forums(request.user),
        "can_create": services.councils_for_new_forum(request.user).exists(),
    }
    return render(request, "processes/dashboard.html", context)


@forum_permission_required("processes.view_forum_staff_area")
def forum_staff(request: HttpRequest, forum_slug: str) -> HttpResponse:
    forum = request.forum  # type: ignore[attr-defined]
    roles, role_counts = services.people_for(request.user, forum)
    context = {
        "forum": forum,
        "can_edit": request.user.has_perm("processes.change_forum", forum),
        "timeline": services.timeline(forum),
        "roles": roles,
        "role_counts": role_counts,
        # They run every forum of the council without a role on each: 'No one has a role' misled.
        "council_admins": services.council_administrators(forum),
        "events": audit.events_for_forum(forum)[:20],
    }
    return render(request, "processes/forum_staff.html", context)


AUDIT_LOG_PAGE_SIZE = 50


def _audit_log_entries(request: HttpRequest, forum: Forum) -> tuple[AuditLogFilterForm, QuerySet[AuditEvent]]:
    """The filters from the query string and the entries they select: none while a filter names a value
    the log does not hold (a page or a download must never show more than was asked for)."""
    form = AuditLogFilterForm(request.GET, forum=forum)
    if not form.is_valid():
        return form, AuditEvent.objects.none()
    return form, audit.events_for_forum(forum, **form.cleaned_data)


@forum_permission_required("processes.view_forum_staff_area")
def audit_log(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """The forum's whole audit trail, for the same staff who see its recent entries (evaluators included)."""
    forum = request.forum  # type: ignore[attr-defined]
    form, entries = _audit_log_entries(request, forum)
    context = {
        "forum": forum,
        "form": form,
        "page": Paginator(entries, AUDIT_LOG_PAGE_SIZE).get_page(request.GET.get("page")),
        "filtered": any(request.GET.get(name) for name in form.fields),
    }
    return render(request, "processes/audit_log.html", context)


@forum_permission_required("processes.view_forum_staff_area")
def audit_log_csv(request: HttpRequest, forum_slug: str) -> HttpResponse:
    forum = request.forum  # type: ignore[attr-defined]
    _, entries = _audit_log_entries(request, forum)
    return csv_attachment(audit.events_csv(entries.iterator()), f"{forum.slug}-audit-log.csv")


@login_required
def forum_create(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    councils = services.councils_for_new_forum(request.user)
    if not councils.exists():
        raise CannotCreateForum
    form = ForumForm(request.POST or None, councils=councils, instance=Forum())
    if request.method == "POST" and form.is_valid():
        forum = services.save_forum(request.user, form.save(commit=False), form.cleaned_data["stages"])
        messages.success(request, f"Forum ‘{forum.title}’ created")
        return redirect("processes:forum_staff", forum_slug=forum.slug)
    return _form_page(
        request, form, "Create a forum", "Create forum", back_url=reverse("processes:dashboard")
    )


@forum_permission_required("processes.change_forum")
def forum_edit(request: HttpRequest, forum_slug: str) -> HttpResponse:
    forum = request.forum  # type: ignore[attr-defined]
    form = ForumForm(
        request.POST or None, councils=services.councils_for_new_forum(request.user), instance=forum
    )
    if request.method == "POST" and form.is_valid():
        services.save_forum(request.user, form.save(commit=False), form.cleaned_data["stages"])
        messages.success(request, "Forum details saved")
        return redirect("processes:forum_staff", forum_slug=forum.slug)
    return _form_page(request, form, "Change forum details", "Save changes", forum=forum)


@never_cache  # residents' names: no copy kept by the browser (a shared computer) or a proxy
@forum_permission_required("processes.see_panel_member_names")
def forum_people(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """Who has a role on the forum. Officers and council administrators manage them here; facilitators,
    who work with the panel, see the staff and the panel members by name only. Each view that names a
    resident is recorded in the audit log, as for the recruitment pages."""
    forum = request.forum  # type: ignore[attr-defined]
    can_manage = request.user.has_perm("processes.manage_forum_roles", forum)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied
    form = RoleForm(request.POST or None, forum=forum) if can_manage else None
    if form is not None and request.method == "POST" and form.is_valid():
        user, role = form.cleaned_data["user"], form.cleaned_data["role"]
        services.assign_role(request.user, forum, user, role)
        messages.success(
            request, f"{user.get_full_name() or user.get_username()} is now {Role(role).in_a_sentence}"
        )
        return redirect("processes:forum_people", forum_slug=forum.slug)
    roles, role_counts = services.people_for(request.user, forum, residents_by_name=True)
    residents = services.residents_named(roles)
    if residents:
        privacy.log_personal_data_access(request.user, forum, "people on the forum", residents)
    # A role the viewer may not remove (their own officer role) says so, not a link to a refusal, and why
    # below the table: the reason in its cell made a phone's table wider than the screen.
    removal_problems = [
        services.role_removal_problem(request.user, forum_role) if can_manage else "" for forum_role in roles
    ]
    context = {
        "forum": forum,
        "form": form,
        "roles": list(zip(roles, removal_problems, strict=True)),
        "removal_reasons": list(dict.fromkeys(problem for problem in removal_problems if problem)),
        "role_counts": role_counts,
        "can_manage": can_manage,
        "residents": residents,
    }
    return render(request, "processes/forum_people.html", context)


@require_http_methods(["GET", "POST"])
@never_cache  # it may name a resident, as the people page does
@forum_permission_required("processes.manage_forum_roles")
def forum_role_remove(request: HttpRequest, forum_slug: str, role_id: int) -> HttpResponse:
    """GET asks for confirmation (removing a role cannot be undone from here); POST removes it, once a tick
    confirms it if the role is the forum's last forum officer. A page naming a resident (panel member or
    participant) is recorded in the audit log, as the people page is."""
    forum = request.forum  # type: ignore[attr-defined]
    forum_role = ForumRole.objects.select_related("user").filter(pk=role_id, forum=forum).first()
    gone = "That role is no longer on this forum. It may have been removed already."
    if forum_role is None:
        # Back to the confirmation after removing, or a second press of the button: not a dead end.
        messages.info(request, gone)
    elif problem := services.role_removal_problem(request.user, forum_role):
        messages.error(request, problem)
    else:
        warning = services.role_removal_warning(forum_role)
        posted = request.POST if request.method == "POST" else None
        form = LastOfficerRemovalForm(posted) if warning else None
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                services.remove_role(request.user, forum_role, last_officer_confirmed=form is not None)
            except services.RoleAlreadyRemoved:
                messages.info(request, gone)
                return redirect("processes:forum_people", forum_slug=forum.slug)
            except services.LastOfficerNotConfirmed as refused:
                # A colleague removed the other officer since this page was shown: ask for the tick.
                warning, form = refused.warning, LastOfficerRemovalForm({})
            else:
                messages.success(request, "Role removed")
                return redirect("processes:forum_people", forum_slug=forum.slug)
        if residents := services.residents_named([forum_role]):
            privacy.log_personal_data_access(request.user, forum, "remove-role confirmation", residents)
        context = {"forum": forum, "role": forum_role, "warning": warning, "form": form}
        return render(request, "processes/forum_role_remove.html", context)
    return redirect("processes:forum_people", forum_slug=forum.slug)


@forum_permission_required("processes.change_forum")
def stage_edit(request: HttpRequest, forum_slug: str, kind: str) -> HttpResponse:
    forum = request.forum  # type: ignore[attr-defined]
    stage = get_object_or_404(Stage, forum=forum, kind=kind)
    form = StageForm(request.POST or None, instance=stage)
    if request.method == "POST" and form.is_valid():
        services.update_stage(request.user, form.save(commit=False))
        messages.success(request, f"{stage.get_kind_display()} stage saved")
        return redirect("processes:forum_staff", forum_slug=forum.slug)
    return _form_page(request, form, f"{stage.get_kind_display()} stage", "Save stage", forum=forum)


@forum_permission_required("processes.create_accounts")
def forum_account_create(request: HttpRequest, forum_slug: str) -> HttpResponse:
    forum = request.forum  # type: ignore[attr-defined]
    form = NewAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user, link = services.create_account_with_role(
            request.user, forum, data["first_name"], data["last_name"], data["email"], data["role"]
        )
        context = {
            "forum": forum,
            "new_user": user,
            "role": Role(data["role"]),
            "link": public_address(request, link),
        }
        return render(request, "processes/account_created.html", context)
    return _form_page(
        request,
        form,
        "Create an account",
        "Create account",
        forum=forum,
        back_url=reverse("processes:forum_people", kwargs={"forum_slug": forum.slug}),
        intro="You will get a link to send to the person so they can choose their own password.",
    )


@require_POST
@forum_permission_required("processes.manage_forum_roles")
def forum_set_password_link(request: HttpRequest, forum_slug: str, user_id: int) -> HttpResponse:
    forum = request.forum  # type: ignore[attr-defined]
    user = get_object_or_404(get_user_model().objects.filter(forum_roles__forum=forum).distinct(), pk=user_id)
    if problem := services.new_link_problem(request.user, user):
        messages.error(request, problem)
        return redirect("processes:forum_people", forum_slug=forum.slug)
    link = services.issue_set_password_link(request.user, forum, user)
    context = {"forum": forum, "person": user, "link": public_address(request, link)}
    return render(request, "processes/set_password_link.html", context)
