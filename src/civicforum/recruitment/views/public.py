"""Public pages after registration: withdrawal, an erased answer given again, replies to a panel
invitation, the selection record."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from civicforum.recruitment import forms
from civicforum.recruitment.models import MemberStatus, QuotaQuestion
from civicforum.recruitment.services import answer_again, panel_invitations, registration, selection
from civicforum.recruitment.views.common import (
    client_address,
    gone_for_residents,
    keep_outcome,
    kept_outcome,
    public_forum,
    settings_for,
)


@never_cache  # personal data: no copy kept by the browser (a shared computer) or a proxy
def withdraw_public(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """A respondent withdraws and has their data erased, without needing to call anyone."""
    forum = public_forum(forum_slug)
    gone = gone_for_residents(
        request, forum, "Withdraw your registration", "there is nothing left to withdraw or erase"
    )
    if gone is not None:
        return gone
    form = forms.WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        shown = kept_outcome(request, "withdrawn", forum) or {}
        if registration.same_reference(shown.get("reference", ""), form.cleaned_data["reference"]):
            # Sent twice (a double click): erased already, nothing to find or to count as a wrong try.
            return redirect("recruitment:withdrawn", forum_slug=forum.slug)
        try:
            respondent = registration.withdraw_by_reference(
                forum, form.cleaned_data["reference"], form.cleaned_data["contact"], client_address(request)
            )
        except registration.CodeProblem as problem:
            form.add_error("reference", str(problem))
        else:
            keep_outcome(request, "withdrawn", forum, {"reference": respondent.reference})
            return redirect("recruitment:withdrawn", forum_slug=forum.slug)
    # A way back for someone who opened the form by mistake, from the confirmation or the start page.
    back = reverse("recruitment:register_start", kwargs={"forum_slug": forum.slug})
    return render(request, "recruitment/withdraw.html", {"forum": forum, "form": form, "back": back})


@never_cache
def withdrawn(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """'You have withdrawn', shown after the form (which it would post again if reloaded)."""
    forum = public_forum(forum_slug)
    if kept_outcome(request, "withdrawn", forum) is None:
        return redirect("recruitment:withdraw_public", forum_slug=forum.slug)
    return render(request, "recruitment/withdrawn.html", {"forum": forum})


@never_cache  # personal data: no copy kept by the browser (a shared computer) or a proxy
def give_answer_again(request: HttpRequest, forum_slug: str, question_key: str) -> HttpResponse:
    """Someone whose answer to a question was erased when the question was marked as asking for special
    category data gives it again, with their explicit consent, while registration is open."""
    forum = public_forum(forum_slug)
    gone = gone_for_residents(
        request, forum, "Give your answer again", "answers can no longer be given or changed"
    )
    if gone is not None:
        return gone
    question = get_object_or_404(
        QuotaQuestion, forum=forum, key=question_key, special_category=True, from_address=False
    )
    context: dict[str, object] = {"forum": forum, "question": question, "settings": settings_for(forum)}
    if not registration.is_open(forum):
        return _answers_closed(request, context)
    form = forms.AnswerAgainForm(request.POST or None, question=question)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            respondent = answer_again.give_again(
                forum, question, data["reference"], data["contact"], data["answer"], client_address(request)
            )
        except registration.CodeProblem as problem:
            form.add_error("reference", str(problem))
        except answer_again.NothingToGiveAgain as nothing:
            return render(request, "recruitment/answer_again_done.html", {**context, "nothing": nothing})
        except (registration.RegistrationClosed, registration.DrawInProgress):
            return _answers_closed(request, context)
        else:
            keep_outcome(request, "answer-again", forum, {"reference": respondent.reference})
            return redirect("recruitment:answer_again_done", forum_slug=forum.slug, question_key=question.key)
    return render(request, "recruitment/answer_again.html", {**context, "form": form})


def _answers_closed(request: HttpRequest, context: dict[str, object]) -> HttpResponse:
    """Registration has closed: the panel is drawn from the answers as they are, so none can change."""
    context = {**context, "phone": registration.phone_for(context["forum"])}
    return render(request, "recruitment/answer_again_closed.html", context, status=403)


@never_cache
def answer_given_again(request: HttpRequest, forum_slug: str, question_key: str) -> HttpResponse:
    """'Your answer is saved', shown after the form (which it would post again if reloaded)."""
    forum = public_forum(forum_slug)
    question = get_object_or_404(QuotaQuestion, forum=forum, key=question_key, special_category=True)
    if kept_outcome(request, "answer-again", forum) is None:
        return redirect("recruitment:answer_again", forum_slug=forum.slug, question_key=question.key)
    return render(request, "recruitment/answer_again_done.html", {"forum": forum, "question": question})


@never_cache
def panel_reply(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """A selected person accepts or declines their place online, saying what support they need if they
    accept (kept only then). A member already confirmed may accept again to add support they need."""
    forum = public_forum(forum_slug)
    gone = gone_for_residents(
        request, forum, "Reply to your invitation", "replies to invitations can no longer be sent"
    )
    if gone is not None:
        return gone
    if not panel_invitations.any_place_offered(forum):
        return render(request, "recruitment/panel_reply_not_yet.html", {"forum": forum})
    form = forms.PanelReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        shown = kept_outcome(request, "panel-reply", forum) or {}
        if panel_invitations.declined_again(shown, data["reference"], data["answer"] == "yes"):
            return redirect("recruitment:panel_replied", forum_slug=forum.slug)
        try:
            member = panel_invitations.reply(
                forum, data["reference"], data["contact"], data["answer"] == "yes", client_address(request)
            )
        except registration.CodeProblem as problem:
            form.add_error("reference", str(problem))
        else:
            # Not in one transaction with the reply: a failed attempt's count towards the rate limit
            # (``find_own_registration``, in the database cache) would be rolled back with it.
            registration.record_support_needs(member, data["access_needs"])
            outcome = {
                "status": member.status,
                "support_added": bool(data["access_needs"]),
                "reference": member.respondent.reference,
            }
            keep_outcome(request, "panel-reply", forum, outcome)
            return redirect("recruitment:panel_replied", forum_slug=forum.slug)
    context = {"forum": forum, "form": form, "settings": settings_for(forum)}
    return render(request, "recruitment/panel_reply.html", context)


@never_cache
def panel_replied(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """'Reply received', shown after the reply (which it would post again if reloaded)."""
    forum = public_forum(forum_slug)
    outcome = kept_outcome(request, "panel-reply", forum)
    if outcome is None:
        return redirect("recruitment:panel_reply", forum_slug=forum.slug)
    context = {"forum": forum, "confirmed": outcome["status"] == MemberStatus.CONFIRMED, **outcome}
    return render(request, "recruitment/panel_replied.html", context)


def selection_record(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """The public selection record: method, targets, fingerprint, draw code and aggregate panel only, and
    every lottery worked out; before the draw, the fingerprint of the lottery waiting for its code."""
    forum = public_forum(forum_slug)
    record = selection.public_record(forum)
    if record is None:
        raise Http404("No selection has been published for this forum yet")
    return render(request, "recruitment/selection_record.html", {"forum": forum, **record})


def selection_verification_file(request: HttpRequest, forum_slug: str, filename: str) -> HttpResponse:
    """``distribution.json`` or ``selected.csv`` of the published draw, for ``civicforum selection verify``.

    Served inline (JSON and plain text) so a browser shows them; people save both into one folder.
    """
    forum = public_forum(forum_slug)
    record = selection.public_record(forum)
    if record is None or record["run"] is None:
        raise Http404("No selection has been published for this forum yet")
    text = selection.verification_files(record["run"])[filename]
    content_type = "application/json" if filename.endswith(".json") else "text/plain; charset=utf-8"
    response = HttpResponse(text, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
