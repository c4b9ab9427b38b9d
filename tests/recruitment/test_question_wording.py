"""An officer puts right the wording of a question (a typo in it, its hint or an answer) without removing
and adding it again, while nobody has answered it; the keys answers and quotas are stored under stay."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from civicforum.core.audit import describe, summarise
from civicforum.core.models import AuditEvent
from civicforum.recruitment.models import Invitation, QuotaQuestion
from civicforum.recruitment.services import civic_lottery, quotas

from .conftest import add_age_question, staff_url

pytestmark = pytest.mark.django_db


def wording(question: QuotaQuestion, label: str, hint: str, *answers: str) -> dict[str, str]:
    """The change page's form as posted: the question, its hint and each answer's words in order."""
    categories = question.categories.all()
    return {"label": label, "hint": hint} | {
        f"answer-{category.pk}": answer for category, answer in zip(categories, answers, strict=True)
    }


def asked_question(forum: Any) -> QuotaQuestion:
    return QuotaQuestion.objects.filter(forum=forum, from_address=False).first()


def test_an_officer_changes_the_wording_before_anyone_registers_and_residents_see_it(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """Registration is open but nobody has registered: the wording changes, the answers keep their keys
    (and so their shares and quotas), the log says what changed in words, and the next resident reads it."""
    client = signed_in_client(officer)
    question = asked_question(recruiting_forum)
    keys = list(question.categories.values_list("key", "population_share"))
    url = staff_url("change_question", recruiting_forum, question_id=question.pk)
    questions_page = client.get(staff_url("questions", recruiting_forum)).content.decode()
    assert f'href="{url}">Change<span class="govuk-visually-hidden"> question label' in questions_page
    page = client.get(url).content.decode()
    assert 'class="govuk-back-link"' in page and f'value="{question.label}"' in page

    answers = [f"Answer {n} reworded" for n in range(1, question.categories.count() + 1)]
    saved = client.post(url, wording(question, "What is your age group?", "Pick one", *answers))

    assert saved.status_code == 302
    question.refresh_from_db()
    assert (question.label, question.hint) == ("What is your age group?", "Pick one")
    assert list(question.categories.values_list("label", flat=True)) == answers
    assert list(question.categories.values_list("key", "population_share")) == keys
    event = AuditEvent.objects.get(action="recruitment.quota_question_changed")
    assert describe(event.action) == "Question wording changed"
    assert summarise(event.action, event.details) == "‘Question’, ‘Hint’, ‘Answers’"
    assert event.target_label == "What is your age group?"

    code = civic_lottery.issue_code(Invitation.objects.filter(lottery__forum=recruiting_forum).first())
    client.post(reverse("recruitment:register_step", args=[recruiting_forum.slug, "code"]), {"code": code})
    step = reverse("recruitment:register_step", args=[recruiting_forum.slug, f"q-{question.key}"])
    asked = client.get(step).content.decode()
    assert "What is your age group?" in asked and "Pick one" in asked and "Answer 1 reworded" in asked


def test_the_change_page_refuses_a_blank_question_or_two_answers_alike(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    client = signed_in_client(officer)
    question = add_age_question(forum, officer)
    url = staff_url("change_question", forum, question_id=question.pk)

    refused = client.post(url, wording(question, "", "", "Young", "young")).content.decode()

    assert "Error: " in refused and "govuk-error-summary" in refused
    assert "Enter the question" in refused and "Answer 2 must be different from the other answers" in refused
    assert not AuditEvent.objects.filter(action="recruitment.quota_question_changed").exists()


def test_a_posted_answer_key_or_another_questions_answer_changes_nothing_stored(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """Only the words are offered: a key, or another question's answer, typed into the post is ignored."""
    client = signed_in_client(officer)
    question = add_age_question(forum, officer)
    other = add_age_question(forum, officer)
    url = staff_url("change_question", forum, question_id=question.pk)
    posted = wording(question, "How old are you?", "", "16 to 29", "30 or over")
    first = question.categories.first()
    posted |= {
        "key": "changed",
        f"key-{first.pk}": "changed",
        f"answer-{other.categories.first().pk}": "Hacked",
    }

    assert client.post(url, posted).status_code == 302

    assert list(question.categories.values_list("key", flat=True)) == ["16-to-29", "30"]
    assert list(other.categories.values_list("label", flat=True)) == ["16 to 29", "30+"]
    question.refresh_from_db()
    assert question.key == "how-old-are-you"
    event = AuditEvent.objects.get(action="recruitment.quota_question_changed")
    assert event.details["changed"] == ["answers"]


def test_once_anyone_has_registered_the_wording_cannot_change(
    signed_in_client: Any, pool: Any, recruiting_forum: Any, officer: Any
) -> None:
    """Registration is closed, yet answers exist: the page says why and what that means, offers no form,
    and a post changes nothing; the questions page offers no Change link."""
    client = signed_in_client(officer)
    question = asked_question(recruiting_forum)
    label = question.label
    url = staff_url("change_question", recruiting_forum, question_id=question.pk)

    page = client.get(url).content.decode()
    posted = client.post(
        url, wording(question, "Reworded", "", *["x", "y", "z", "w", "v"][: question.categories.count()])
    )

    for refused in (page, posted.content.decode()):
        assert f"You cannot change ‘{label}’" in refused
        assert "answered the questions as they are worded" in refused
        assert "Closing registration does not change this" in refused
        assert "</button>" not in refused.split("<main")[1]
    with pytest.raises(quotas.QuestionInUse):  # someone registered while the page was open
        quotas.change_question_wording(question, officer, "Reworded", "", {})
    question.refresh_from_db()
    assert question.label == label
    assert not AuditEvent.objects.filter(action="recruitment.quota_question_changed").exists()
    questions_page = client.get(staff_url("questions", recruiting_forum)).content.decode()
    assert "question label" not in questions_page


def test_a_question_is_saved_without_characters_that_change_how_it_displays(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """Pasted into the question, its hint or an answer, a right-to-left override showed the words reversed
    to every resident registering (and in the public record's table); a control character showed as a box."""
    client = signed_in_client(officer)
    added = {
        "action": "add",
        "label": "Do you rent\u202e your home?\x07",
        "hint": "Choose one\x1b",
        "categories": "Rent\u202e | 40%\nOwn\x07 | 60%",
        "special_category": "no",
    }
    assert client.post(staff_url("questions", forum), added).status_code == 302
    question = QuotaQuestion.objects.get(forum=forum)
    assert (question.label, question.hint) == ("Do you rent your home?", "Choose one")
    assert list(question.categories.values_list("label", flat=True)) == ["Rent", "Own"]
    url = staff_url("change_question", forum, question_id=question.pk)
    assert client.post(url, wording(question, "Do you rent?", "", "Rent\u202e", "Own")).status_code == 302
    assert question.categories.first().label == "Rent"


def test_a_share_with_no_answer_before_its_bar_is_refused_naming_the_line(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """' | 40%' made an answer with no words: the registration page offered a radio without a label."""
    posted = {
        "action": "add",
        "label": "Tenure",
        "categories": "Rent | 60%\n | 40%",
        "special_category": "no",
    }
    page = signed_in_client(officer).post(staff_url("questions", forum), posted).content.decode()
    assert page.count("Line 2: write the answer before the bar, for example ‘16 to 29 | 22%’") == 2
    assert not QuotaQuestion.objects.filter(forum=forum).exists()
