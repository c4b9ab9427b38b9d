"""People whose answer was erased when its question was marked as asking for special category data give it
again, this time with their explicit consent, while registration is open."""

from __future__ import annotations

import csv
import html
import io
import re
import smtplib
from datetime import timedelta
from typing import Any

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from civicforum.core.models import AuditEvent
from civicforum.recruitment.models import (
    AnswerToGiveAgain,
    EmailStatus,
    QuotaQuestion,
    RecruitmentSettings,
    Respondent,
    RespondentStatus,
    RunStatus,
    SelectionRun,
)
from civicforum.recruitment.services import answer_again, quotas, registration

pytestmark = pytest.mark.django_db


def reopen(forum: Any) -> None:
    RecruitmentSettings.objects.filter(forum=forum).update(registration_open=True)


def url(forum: Any, key: str = "gender", name: str = "answer_again") -> str:
    return reverse(f"recruitment:{name}", kwargs={"forum_slug": forum.slug, "question_key": key})


def marked_gender(forum: Any, officer: Any) -> tuple[QuotaQuestion, list[Respondent]]:
    """Gender, answered by the pool before being marked, marked with the erasure confirmed; and whose
    answers it erased."""
    gender = QuotaQuestion.objects.get(forum=forum, key="gender")
    answered = [r for r in Respondent.objects.filter(forum=forum).order_by("pk") if r.answers.get("gender")]
    quotas.mark_special_category(gender, officer, True, erase_earlier_answers=True)
    return QuotaQuestion.objects.get(pk=gender.pk), answered


def first_category(question: QuotaQuestion) -> str:
    return question.categories.order_by("position", "id").first().key


def test_marking_records_whose_answers_were_erased_and_nothing_of_what_they_were(
    pool: Any, officer: Any
) -> None:
    forum = pool[0].forum
    gender, answered = marked_gender(forum, officer)
    rows = AnswerToGiveAgain.objects.filter(question=gender)
    assert sorted(rows.values_list("respondent_id", flat=True)) == [r.pk for r in answered]
    assert all(row.given_again_at is None for row in rows)
    assert answer_again.asked_again(forum) == {gender.pk: answer_again.AskedAgain(len(answered), 0)}
    assert all(Respondent.objects.get(pk=r.pk).answers["gender"] == "" for r in answered)


def test_a_person_gives_their_erased_answer_again_with_consent_and_can_change_it(
    pool: Any, officer: Any
) -> None:
    """The page says why the answer was erased and asks for consent; without the tick nothing is saved.
    With it the answer counts again, the officer's count moves, the audit log records it without the
    answer, and reloading the confirmation does not send the form again."""
    forum = pool[0].forum
    gender, answered = marked_gender(forum, officer)
    reopen(forum)
    person = answered[0]
    browser = Client()

    form = html.unescape(browser.get(url(forum)).content.decode())
    assert "When you registered for" in form and "‘What is your gender?’" in form
    assert "for now the panel is chosen as if you had said ‘Prefer not to say’" in form
    assert "Prefer not to say" in form  # marking always offers it

    answer = first_category(gender)
    filled = {"reference": person.reference.lower(), "contact": person.email.upper(), "answer": answer}
    unticked = html.unescape(browser.post(url(forum), filled).content.decode())
    assert "<title>Error: " in unticked and "Tick the box to agree, or we cannot keep your answer" in unticked
    assert Respondent.objects.get(pk=person.pk).answers["gender"] == ""

    saved = browser.post(url(forum), {**filled, "consent": "on"})
    assert saved.status_code == 302 and saved["Location"] == url(forum, name="answer_again_done")
    assert Respondent.objects.get(pk=person.pk).answers["gender"] == answer
    assert "Your answer is saved" in browser.get(saved["Location"]).content.decode()
    assert answer_again.asked_again(forum)[gender.pk] == answer_again.AskedAgain(len(answered), 1)
    event = AuditEvent.objects.get(action="recruitment.answer_given_again")
    assert event.details == {"question": "gender"} and event.target_id == str(person.pk)

    other = gender.categories.order_by("position", "id").last().key
    browser.post(url(forum), {**filled, "answer": other, "consent": "on"})
    assert Respondent.objects.get(pk=person.pk).answers["gender"] == other
    assert answer_again.asked_again(forum)[gender.pk].given_again == 1


def test_other_answers_of_the_person_stay_as_they_were(pool: Any, officer: Any) -> None:
    forum = pool[0].forum
    gender, answered = marked_gender(forum, officer)
    reopen(forum)
    person = Respondent.objects.get(pk=answered[1].pk)
    answer_again.give_again(forum, gender, person.reference, person.phone, first_category(gender), "1.2.3.4")
    assert Respondent.objects.get(pk=person.pk).answers == {
        **person.answers,
        "gender": first_category(gender),
    }


def test_a_wrong_contact_detail_changes_nothing_and_counts_as_a_wrong_try(pool: Any, officer: Any) -> None:
    forum = pool[0].forum
    gender, answered = marked_gender(forum, officer)
    reopen(forum)
    person = answered[0]
    posted = {"reference": person.reference, "contact": "someone@else.example", "consent": "on"}
    refused = Client().post(url(forum), {**posted, "answer": first_category(gender)})
    assert "We could not find a registration with that reference and contact detail" in html.unescape(
        refused.content.decode()
    )
    assert Respondent.objects.get(pk=person.pk).answers["gender"] == ""
    for _ in range(registration.MAX_FAILED_CODE_CHECKS):
        Client().post(url(forum), {**posted, "answer": first_category(gender)})
    with pytest.raises(registration.CodeProblem, match="too many attempts"):
        answer_again.give_again(forum, gender, person.reference, person.email, "", "127.0.0.1")


def test_someone_with_no_erased_answer_is_told_there_is_nothing_to_do(pool: Any, officer: Any) -> None:
    """Ethnicity was marked from the start, so nobody's answer to it was erased: someone following the
    wrong link changes nothing."""
    forum = pool[0].forum
    marked_gender(forum, officer)
    reopen(forum)
    ethnicity = QuotaQuestion.objects.get(forum=forum, key="ethnicity")
    person = Respondent.objects.filter(forum=forum).first()
    posted = {
        "reference": person.reference,
        "contact": person.email,
        "answer": first_category(ethnicity),
        "consent": "on",
    }
    shown = html.unescape(Client().post(url(forum, key="ethnicity"), posted).content.decode())
    assert "Nothing to give again" in shown and "There is nothing you need to do." in shown
    assert Respondent.objects.get(pk=person.pk).answers == person.answers


def test_once_registration_closes_no_answer_can_be_given_again(pool: Any, officer: Any) -> None:
    """The panel is drawn from the answers as they were when registration closed."""
    forum = pool[0].forum
    gender, answered = marked_gender(forum, officer)  # the pool's registration is closed
    person = answered[0]
    closed = Client().get(url(forum))
    assert closed.status_code == 403 and "Answers can no longer be given" in closed.content.decode()
    posted = {
        "reference": person.reference,
        "contact": person.email,
        "answer": first_category(gender),
        "consent": "on",
    }
    assert Client().post(url(forum), posted).status_code == 403
    with pytest.raises(registration.RegistrationClosed):
        answer_again.give_again(forum, gender, person.reference, person.email, posted["answer"], "1.2.3.4")
    assert Respondent.objects.get(pk=person.pk).answers["gender"] == ""


def test_only_a_question_marked_as_special_category_has_the_page(pool: Any, officer: Any) -> None:
    forum = pool[0].forum
    reopen(forum)
    assert Client().get(url(forum, key="age")).status_code == 404
    assert Client().get(url(forum, key="no-such-question")).status_code == 404


def test_withdrawing_erases_even_that_the_person_had_answered(pool: Any, officer: Any) -> None:
    forum = pool[0].forum
    gender, answered = marked_gender(forum, officer)
    registration.withdraw(answered[0], officer)
    assert not AnswerToGiveAgain.objects.filter(respondent=answered[0]).exists()
    assert answer_again.asked_again(forum)[gender.pk].erased == len(answered) - 1
    assert Respondent.objects.get(pk=answered[0].pk).status == RespondentStatus.WITHDRAWN


def test_the_officer_sees_how_many_gave_their_answer_again_the_link_and_who_to_tell(
    pool: Any, officer: Any, signed_in_client: Any
) -> None:
    """The questions page gives the counts and the full address of the page to send people; the list of
    who to tell holds names and contact details, no answer, and its download is logged."""
    forum = pool[0].forum
    gender, answered = marked_gender(forum, officer)
    reopen(forum)
    first = answered[0]
    answer_again.give_again(forum, gender, first.reference, first.email, first_category(gender), "1.2.3.4")
    client = signed_in_client(officer)
    questions = html.unescape(
        client.get(reverse("recruitment:questions", kwargs={"forum_slug": forum.slug})).content.decode()
    )
    assert f"the answers {len(answered)} people had given to it were erased" in questions
    assert "1 of them has given their answer again, with their consent" in questions
    assert f"http://testserver{url(forum)}" in questions

    download = reverse(
        "recruitment:answer_again_csv", kwargs={"forum_slug": forum.slug, "question_id": gender.pk}
    )
    assert download in questions
    rows = list(csv.reader(io.StringIO(client.get(download).content.decode("utf-8-sig"))))
    assert rows[0] == ["reference", "name", "email", "phone", "emailed"]
    assert [row[0] for row in rows[1:]] == [r.reference for r in answered[1:]]
    assert {row[4] for row in rows[1:]} == {"not emailed"}
    assert AuditEvent.objects.filter(
        action="recruitment.personal_data_viewed", details__people=len(answered) - 1
    ).exists()

    RecruitmentSettings.objects.filter(forum=forum).update(registration_open=False)
    closed = html.unescape(
        client.get(reverse("recruitment:questions", kwargs={"forum_slug": forum.slug})).content.decode()
    )
    assert "Registration is closed, so the other" in closed and "Email them" not in closed
    assert download in closed  # to phone them, and record answers they gave before it closed


def test_an_officer_records_an_answer_given_again_by_phone_with_consent(
    pool: Any, officer: Any, signed_in_client: Any
) -> None:
    """People who do not go online give their answer by phone or on paper. The officer confirms they
    agreed; a mistyped reference, or someone with nothing to give again, is refused in words the officer
    can act on. Also once registration has closed (an answer given before it closed), as an officer can
    still register someone then; the audit log names the officer."""
    forum = pool[0].forum
    gender, answered = marked_gender(forum, officer)  # the pool's registration is closed
    client = signed_in_client(officer)
    record = reverse(
        "recruitment:record_answer_again", kwargs={"forum_slug": forum.slug, "question_id": gender.pk}
    )
    questions = html.unescape(
        client.get(reverse("recruitment:questions", kwargs={"forum_slug": forum.slug})).content.decode()
    )
    assert f'href="{record}">Record an answer given by phone or on paper' in questions
    form = html.unescape(client.get(record).content.decode())
    assert "Registration is closed: record an answer now only if they gave it before" in form
    person, answer = answered[0], first_category(gender)

    def post(**fields: str) -> str:
        return html.unescape(client.post(record, fields).content.decode())

    unticked = post(reference=person.reference, answer=answer)
    assert "Tick to confirm they agreed, or do not record their answer" in unticked
    summary = post(reference="").split("govuk-error-summary__list")[1].split("</ul>")[0]
    in_order = ["Enter their registration reference", "Select the answer they gave", "Tick to confirm"]
    assert [summary.index(message) for message in in_order] == sorted(summary.index(m) for m in in_order)
    mistyped = post(reference="R-NOTAREF1", answer=answer, consent="on")
    assert "No registration of this forum has that reference" in mistyped
    ethnicity = QuotaQuestion.objects.get(forum=forum, key="ethnicity")
    nothing = html.unescape(
        client.post(
            reverse(
                "recruitment:record_answer_again",
                kwargs={"forum_slug": forum.slug, "question_id": ethnicity.pk},
            ),
            {"reference": person.reference, "answer": first_category(ethnicity), "consent": "on"},
        ).content.decode()
    )
    assert "This registration has no erased answer to ‘What is your ethnic group?’" in nothing
    assert Respondent.objects.get(pk=person.pk).answers["gender"] == ""

    draw = SelectionRun.objects.create(forum=forum, panel_size=12, status=RunStatus.QUEUED)
    during_draw = post(reference=person.reference, answer=answer, consent="on")
    assert "A panel is being drawn from the answers given so far, so no answer can change" in during_draw
    assert Respondent.objects.get(pk=person.pk).answers["gender"] == ""
    draw.delete()

    saved = client.post(record, {"reference": person.reference.lower(), "answer": answer, "consent": "on"})
    assert saved.status_code == 302
    assert Respondent.objects.get(pk=person.pk).answers["gender"] == answer
    event = AuditEvent.objects.get(action="recruitment.answer_given_again")
    assert event.actor == officer and event.details == {"question": "gender"}
    assert answer_again.asked_again(forum)[gender.pk].given_again == 1


class RefusingMailServer(EmailBackend):
    """Django's test outbox behind a mail server that refuses some addresses, as an SMTP relay does."""

    refused: set[str] = set()

    def send_messages(self, messages: Any) -> int:
        if {address for message in messages for address in message.to} & RefusingMailServer.refused:
            raise smtplib.SMTPRecipientsRefused({})
        return super().send_messages(messages)


def test_the_officer_emails_everyone_still_to_give_their_answer_again_once(
    pool: Any, officer: Any, signed_in_client: Any, settings: Any, mailoutbox: Any
) -> None:
    """Each email names the question, the page and the person's reference. Someone who already gave
    their answer again is not emailed, someone with no email address is counted for the officer to phone,
    a refused address is counted as failed, and emailing again sends only to those whose email failed."""
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    forum = pool[0].forum
    gender, answered = marked_gender(forum, officer)
    reopen(forum)
    gave, phone_only, refused = answered[0], answered[1], answered[2]
    answer_again.give_again(forum, gender, gave.reference, gave.email, first_category(gender), "1.2.3.4")
    Respondent.objects.filter(pk=phone_only.pk).update(email="")
    RefusingMailServer.refused = {refused.email}
    client = signed_in_client(officer)
    questions = reverse("recruitment:questions", kwargs={"forum_slug": forum.slug})
    emails = reverse(
        "recruitment:answer_again_emails", kwargs={"forum_slug": forum.slug, "question_id": gender.pk}
    )
    assert "Email them<" in client.get(questions).content.decode()

    sent = html.unescape(client.post(emails, follow=True).content.decode())
    assert f"Emailing {len(answered) - 1} people about ‘What is your gender?’" in sent
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.email for r in answered[3:])
    to_one = next(m for m in mailoutbox if m.to == [answered[3].email])
    assert to_one.subject == f"Your answer to ‘What is your gender?’: {forum.title}"
    assert f"Dear {answered[3].full_name}," in to_one.body
    assert f"http://testserver{url(forum)}" in to_one.body and answered[3].reference in to_one.body
    assert f"{len(answered) - 3} emailed" in sent
    assert "1 could not be emailed: check the mail settings, then email them again" in sent
    assert "1 gave no email address: phone them or write to them" in sent
    assert "Email the 1 not emailed yet" in sent
    assert AuditEvent.objects.get(action="recruitment.answer_again_emails").details == {
        "emails": len(answered) - 1
    }

    RefusingMailServer.refused = set()
    mailoutbox.clear()
    again = html.unescape(client.post(emails, follow=True).content.decode())
    assert [m.to for m in mailoutbox] == [[refused.email]]
    assert "Emailing 1 person about" in again and "not emailed yet" not in again
    download = reverse(
        "recruitment:answer_again_csv", kwargs={"forum_slug": forum.slug, "question_id": gender.pk}
    )
    rows = list(csv.reader(io.StringIO(client.get(download).content.decode("utf-8-sig"))))
    assert {row[0]: row[4] for row in rows[1:]}[phone_only.reference] == "no email address"


def test_emails_whose_sending_stopped_are_sent_again(
    pool: Any, officer: Any, signed_in_client: Any, mailoutbox: Any
) -> None:
    """A worker that died mid-way left emails marked to send, or being sent, and nothing else would send
    them: ten quiet minutes on, the page says so and the officer's button sends them again. Emails queued
    a moment ago are left to the task sending them."""
    forum = pool[0].forum
    gender, answered = marked_gender(forum, officer)
    reopen(forum)
    long_ago = timezone.now() - timedelta(minutes=11)
    rows = AnswerToGiveAgain.objects.filter(question=gender).order_by("pk")
    rows.filter(respondent=answered[0]).update(email_status=EmailStatus.TO_SEND, email_changed_at=long_ago)
    rows.filter(respondent=answered[1]).update(email_status=EmailStatus.SENDING, email_changed_at=long_ago)
    rows.filter(respondent=answered[2]).update(
        email_status=EmailStatus.TO_SEND, email_changed_at=timezone.now()
    )
    counts = answer_again.asked_again(forum)[gender.pk]
    assert (counts.email_stopped, counts.being_emailed) == (2, 1)
    assert counts.to_email == len(answered) - 1
    client = signed_in_client(officer)
    page = html.unescape(
        client.get(reverse("recruitment:questions", kwargs={"forum_slug": forum.slug})).content.decode()
    )
    assert "2 were to be emailed when the sending stopped" in page
    assert answer_again.queue_emails(gender, officer) == len(answered) - 1
    answer_again.send_emails(gender.pk, "https://example.org/answer")  # with the one queued just now
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.email for r in answered)
    answer_again.send_emails(gender.pk, "https://example.org/answer")  # run again: nothing twice
    assert len(mailoutbox) == len(answered)


def test_nobody_is_emailed_once_registration_has_closed(
    pool: Any, officer: Any, signed_in_client: Any, mailoutbox: Any
) -> None:
    """The email says they can answer until registration closes: once it has, they no longer can."""
    forum = pool[0].forum
    gender, _ = marked_gender(forum, officer)  # the pool's registration is closed
    emails = reverse(
        "recruitment:answer_again_emails", kwargs={"forum_slug": forum.slug, "question_id": gender.pk}
    )
    refused = html.unescape(signed_in_client(officer).post(emails, follow=True).content.decode())
    assert "Registration is closed, so nobody can give an answer again: open it first" in refused
    assert not mailoutbox
    assert (
        answer_again.asked_again(forum)[gender.pk].to_email
        == answer_again.asked_again(forum)[gender.pk].still_to_give
    )


@pytest.mark.browser
@pytest.mark.parametrize("browser_page", ["page", "page_without_js"])
def test_a_resident_gives_their_answer_again_on_a_small_phone(
    request: Any, browser_page: str, live_server: Any, axe_check: Any, pool: Any, officer: Any
) -> None:
    """The form, its errors and the confirmation, with and without JavaScript, at 320 px wide (400% zoom):
    the error summary links to the box to tick, and every page passes axe-core (which needs JavaScript)."""
    page = request.getfixturevalue(browser_page)

    def check_accessibility() -> None:
        if browser_page == "page":
            axe_check(page)

    forum = pool[0].forum
    gender, answered = marked_gender(forum, officer)
    reopen(forum)
    person = answered[0]
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + url(forum))
    check_accessibility()
    page.get_by_label("Your registration reference").fill(person.reference)
    page.get_by_label("The email address or phone number you gave").fill(person.phone)
    page.get_by_label(gender.categories.order_by("position", "id").first().label, exact=True).check()
    page.get_by_role("button", name="Save my answer").click()
    expect(page).to_have_title(re.compile("^Error: "))
    check_accessibility()
    page.get_by_role("link", name="Tick the box to agree, or we cannot keep your answer").click()
    consent = page.get_by_label(re.compile("I agree that the council may use my answer"))
    expect(consent).to_be_focused()
    consent.check()
    page.get_by_role("button", name="Save my answer").click()
    expect(page.get_by_role("heading", name="Your answer is saved")).to_be_visible()
    check_accessibility()
    assert not page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    assert Respondent.objects.get(pk=person.pk).answers["gender"] == first_category(gender)
