"""Public registration, one question per page (GOV.UK pattern), also used by officers on the phone."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from civicforum.recruitment import forms
from civicforum.recruitment.models import Invitation
from civicforum.recruitment.services import quotas, registration, selection
from civicforum.recruitment.views.common import (
    MANAGE,
    client_address,
    gone_for_residents,
    public_forum,
    registration_state,
    save_registration_state,
    settings_for,
)


def _steps(forum: Any) -> list[str]:
    asked = [f"q-{q.key}" for q in quotas.questions_with_categories(forum) if not q.from_address]
    sessions = ["availability"] if settings_for(forum).sessions() else []
    # No step asks for support needs: only members need support, so they are asked when they accept their
    # place (``public.panel_reply``), not everyone registering (often health data).
    return ["code", "age", "area", "name", "contact", *asked, *sessions, "consent"]


def register_start(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """The letter's link (``?code=``) keeps its code in the session and sends the browser on to this page
    without it, so the code stays out of the browser's history, the next page's Referer and access logs."""
    forum = public_forum(forum_slug)
    if "code" in request.GET:
        if code := request.GET["code"]:
            state = registration.state_for_letter_link(registration_state(request, forum), code)
            save_registration_state(request, forum, state)
        return redirect("recruitment:register_start", forum_slug=forum.slug)
    is_open = registration.is_open(forum)
    context = {
        "forum": forum,
        "settings": settings_for(forum),
        "open": is_open,
        "not_yet": None if is_open else registration.not_open_yet(forum),
    }
    return render(request, "recruitment/register_start.html", context)


def privacy_notice(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """Names the forum's own questions, and of them those the officer marked as asking for special
    category data."""
    forum = public_forum(forum_slug)
    asked, special, ward = quotas.privacy_notice_questions(forum)
    context = {
        "forum": forum,
        "settings": settings_for(forum),
        "asked": asked,
        "special": special,
        "ward": ward,
    }
    return render(request, "recruitment/privacy.html", context)


@never_cache  # personal data: no copy kept by the browser (a shared computer) or a proxy
def register_step(request: HttpRequest, forum_slug: str, step: str) -> HttpResponse:
    forum = public_forum(forum_slug)
    state = registration_state(request, forum)
    if _finished(state):
        return _confirmation(request, forum, state, again=True)
    assisted = _assisted(request, forum, state)
    if not registration.is_open(forum) and not assisted:
        return _closed(request, forum)
    steps = _steps(forum)
    if step not in steps:
        raise Http404("No such step")
    if step != "code" and "invitation" not in state:
        return redirect("recruitment:register_step", forum_slug=forum.slug, step="code")
    form = _step_form(forum, step, request.POST if request.method == "POST" else None, state, assisted)
    if request.method == "POST" and form.is_valid():
        stop = _save_step(request, forum, step, form, state, assisted)
        save_registration_state(request, forum, state)
        if stop is not None:
            return stop
        if not form.errors:  # a code that does not work leaves its error on the form
            return _next_page(forum, steps, step, state)
    if state.get("checking"):  # changing an answer: back returns to the answers being checked
        back = reverse("recruitment:register_check", kwargs={"forum_slug": forum.slug})
    elif step == "code":
        back = reverse("recruitment:register_start", kwargs={"forum_slug": forum.slug})
    else:
        previous = steps[steps.index(step) - 1]
        back = reverse("recruitment:register_step", kwargs={"forum_slug": forum.slug, "step": previous})
    context = {"forum": forum, "form": form, "step": step, "back": back, "assisted": assisted}
    context["settings"] = settings_for(forum)  # its phone number, for help with the code
    return render(request, "recruitment/register_step.html", context)


def _next_page(forum: Any, steps: list[str], step: str, state: dict[str, Any]) -> HttpResponse:
    following = steps[steps.index(step) + 1] if step != steps[-1] and not state.get("checking") else None
    if following:
        return redirect("recruitment:register_step", forum_slug=forum.slug, step=following)
    return redirect("recruitment:register_check", forum_slug=forum.slug)


def _step_form(forum: Any, step: str, data: Any, state: dict[str, Any], assisted: bool) -> Any:
    answers = state.get("answers", {})
    if step == "code":
        initial = {"code": state.get("prefill_code", "")}
        form = forms.CodeForm(data, initial=initial)
        if assisted:
            form.fields["code"].label = "Enter the code or the reference from their letter"
        return form
    if step == "age":
        return forms.YesNoForm(
            data,
            initial={"answer": state.get("age")},
            question="Are you aged 16 or over?",
            error="Select yes if you are aged 16 or over",
        )
    if step == "area":
        return forms.YesNoForm(
            data,
            initial={"answer": state.get("area")},
            question="Do you live at the address the letter was sent to?",
            hint=f"Only people who live in {forum.area} can take part.",
            error="Select yes if you live at the address on the letter",
        )
    if step == "name":
        return forms.NameForm(data, initial={"full_name": state.get("full_name", "")})
    if step == "contact":
        return forms.ContactForm(
            data, initial={"email": state.get("email", ""), "phone": state.get("phone", "")}
        )
    if step.startswith("q-"):
        question = get_object_or_404(quotas.QuotaQuestion, forum=forum, key=step[2:])
        return forms.QuotaAnswerForm(data, initial={"answer": answers.get(question.key)}, question=question)
    if step == "availability":
        return forms.AvailabilityForm(
            data, initial={"sessions": state.get("availability", [])}, sessions=settings_for(forum).sessions()
        )
    return forms.ConsentForm(data, initial={"consent": state.get("consent", False)})


def _save_step(
    request: HttpRequest, forum: Any, step: str, form: Any, state: dict[str, Any], assisted: bool
) -> HttpResponse | None:
    data = form.cleaned_data
    if step == "code":
        invitation = _find_invitation(request, forum, data["code"], assisted, form)
        if invitation is not None:  # the code stays in the box if they come back to this page
            state.update(invitation=invitation.pk, prefill_code=data["code"].strip())
        return None
    if step in ("age", "area"):
        state[step] = data["answer"]
        if data["answer"] == "no":
            back = reverse("recruitment:register_step", kwargs={"forum_slug": forum.slug, "step": step})
            context = {"forum": forum, "reason": step, "back": back, "settings": settings_for(forum)}
            # The code's own limit, set when its letter was drawn (the settings may have changed since).
            invitation = Invitation.objects.filter(pk=state["invitation"]).only("max_adults").first()
            context["adults"] = (
                invitation.max_adults if invitation else settings_for(forum).adults_per_household
            )
            return render(request, "recruitment/register_ineligible.html", context)
        return None
    if step.startswith("q-"):
        state.setdefault("answers", {})[step[2:]] = data["answer"]
    elif step == "availability":
        if form.cannot_attend:  # members must attend the sessions: end here and keep none of the answers
            state.clear()
            context = {"forum": forum, "reason": step, "settings": settings_for(forum)}
            return render(request, "recruitment/register_ineligible.html", context)
        state["availability"] = data["sessions"]
    elif step == "consent":
        state["consent"] = True
    else:
        state.update({k: v for k, v in data.items()})
    return None


def _find_invitation(
    request: HttpRequest, forum: Any, typed: str, assisted: bool, form: Any
) -> Invitation | None:
    if assisted:
        by_reference = Invitation.objects.filter(
            lottery__forum=forum, reference__iexact=typed.strip()
        ).first()
        if by_reference is not None:
            if registration.places_left(by_reference) > 0:
                return by_reference
            form.add_error("code", "Everyone this letter allows has already registered")
            return None
    try:
        return registration.check_code(forum, typed, client_address(request))
    except registration.CodeProblem as problem:
        form.add_error("code", str(problem))
        return None


@never_cache
def register_check(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """Check your answers, then save (GOV.UK 'check answers' pattern)."""
    forum = public_forum(forum_slug)
    state = registration_state(request, forum)
    steps = _steps(forum)
    if _finished(state):
        if request.method == "POST":  # sent again once saved (a double click, or reloading without JS)
            return redirect("recruitment:register_done", forum_slug=forum.slug)
        return _confirmation(request, forum, state, again=True)
    missing = [s for s in steps if not _answered(s, state)]
    if missing:
        return redirect("recruitment:register_step", forum_slug=forum.slug, step=missing[0])
    invitation = get_object_or_404(Invitation, pk=state["invitation"], lottery__forum=forum)
    assisted = _assisted(request, forum, state)
    if request.method == "POST":
        details = registration.Registration(
            full_name=state["full_name"],
            email=state.get("email", ""),
            phone=state.get("phone", ""),
            answers=state.get("answers", {}),
            availability=state.get("availability", []),
        )
        try:
            respondent = registration.register(
                forum,
                invitation,
                details,
                request.user if assisted else None,
                submission=state.get("submission", ""),
            )
        except registration.CodeProblem as problem:
            messages.error(request, str(problem))
            return redirect("recruitment:register_step", forum_slug=forum.slug, step="code")
        except registration.RegistrationClosed:
            return _closed(request, forum)
        except registration.DrawInProgress as busy:
            messages.error(request, str(busy))  # their answers stay, to save once the draw has finished
            return redirect("recruitment:register_check", forum_slug=forum.slug)
        done = {
            "done": respondent.reference,
            "assisted": assisted,
            "emailed": bool(respondent.email),
            "household_places_left": registration.places_left(invitation) > 0,
        }
        save_registration_state(request, forum, done)
        return redirect("recruitment:register_done", forum_slug=forum.slug)
    state["checking"] = True
    state.setdefault("submission", registration.new_submission())  # the page, if it is sent twice
    save_registration_state(request, forum, state)
    context = {
        "forum": forum,
        "rows": _check_rows(forum, state),
        "assisted": assisted,
        "back": reverse("recruitment:register_step", kwargs={"forum_slug": forum.slug, "step": steps[-1]}),
    }
    return render(request, "recruitment/register_check.html", context)


def _answered(step: str, state: dict[str, Any]) -> bool:
    if step == "code":
        return "invitation" in state
    if step in ("age", "area"):
        return state.get(step) == "yes"
    if step == "name":
        return bool(state.get("full_name"))
    if step == "contact":
        return "email" in state
    if step.startswith("q-"):
        return step[2:] in state.get("answers", {})
    if step == "availability":
        return "availability" in state
    return bool(state.get("consent"))


def _check_rows(forum: Any, state: dict[str, Any]) -> list[dict[str, str]]:
    """Each answer with what its Change link says to a screen reader ('Change your answer to ‘How old are
    you?’'), since a question lowercased after 'Change' reads as a garbled sentence."""
    rows = [
        {"label": "Name", "value": state["full_name"], "step": "name", "change": "name"},
        {
            "label": "Contact details",
            "value": ", ".join(v for v in (state.get("email"), state.get("phone")) if v),
            "step": "contact",
            "change": "contact details",
        },
    ]
    for question in quotas.questions_with_categories(forum):
        if question.from_address:
            continue
        chosen = state.get("answers", {}).get(question.key, "")
        labels = {c.key: c.label for c in question.categories.all()}
        rows.append(
            {
                "label": question.label,
                "value": labels.get(chosen, "Prefer not to say"),
                "step": f"q-{question.key}",
                "change": f"your answer to ‘{question.label}’",
            }
        )
    if "availability" in state:
        rows.append(
            {
                "label": "Sessions you could attend",
                "value": ", ".join(state["availability"]),
                "step": "availability",
                "change": "sessions you could attend",
            }
        )
    return rows


@never_cache
def register_done(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """The confirmation; posted to, it starts another registration in this browser, for someone else in
    the household (the steps and the check page show this confirmation until then)."""
    forum = public_forum(forum_slug)
    state = registration_state(request, forum)
    if request.method == "POST":  # sent twice (a double click without JavaScript), the second finds it begun
        if "done" in state:
            save_registration_state(request, forum, {})
        return redirect("recruitment:register_step", forum_slug=forum.slug, step="code")
    if "done" not in state:
        return redirect("recruitment:register_start", forum_slug=forum.slug)
    return _confirmation(request, forum, state)


def _finished(state: dict[str, Any]) -> bool:
    """This browser's registration is saved and no other started since: its pages, reached again with
    the browser's Back button, would show an empty form (the answers went when it was saved)."""
    return "done" in state and "invitation" not in state


def _confirmation(
    request: HttpRequest, forum: Any, state: dict[str, Any], again: bool = False
) -> HttpResponse:
    """'Registration complete', or with ``again`` 'You have already registered' (a page of the form
    reached again after saving), with the reference either way."""
    assisted = _assisted(request, forum, state)
    heading = "Registration complete"
    if again:
        heading = "They are already registered" if assisted else "You have already registered"
    context = {
        "forum": forum,
        "heading": heading,
        "again": again,
        "reference": state["done"],
        "emailed": state.get("emailed", False),
        "delete_by": settings_for(forum).retention_until,
        "assisted": assisted,
        "household_places_left": state.get("household_places_left", False) and not assisted,
        # Registration reopened after the panel was drawn and published: they can only replace a member.
        "panel_chosen": selection.has_public_record(forum),
    }
    return render(request, "recruitment/register_done.html", context)


def _assisted(request: HttpRequest, forum: Any, state: dict[str, Any]) -> bool:
    """An officer is registering someone on their behalf (the flag alone is not trusted)."""
    return bool(state.get("assisted")) and request.user.has_perm(MANAGE, forum)


def _closed(request: HttpRequest, forum: Any) -> HttpResponse:
    """Registration is not open: once the registrations were deleted under the retention schedule it never
    will be, and the page says so and when (``gone_for_residents``) rather than 'not open at the moment'.
    Before it has opened, the page says when it opens (if known), and is not an error."""
    gone = gone_for_residents(
        request, forum, "Registration is closed", "registration is closed and you have not been registered"
    )
    if gone is not None:
        return gone
    not_yet = registration.not_open_yet(forum)
    context = {"forum": forum, "phone": registration.phone_for(forum), "not_yet": not_yet}
    return render(request, "recruitment/register_closed.html", context, status=200 if not_yet else 403)
