"""The registration journey as a resident who is not confident online meets it: odd but valid input is
accepted, mistakes get a message saying what to fix, and every page has a way back."""

from __future__ import annotations

import html
import re
import shlex
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from tests.recruitment.conftest import one_invitation_sent, publish_selection, run_selection

from civicforum.cli import main as civicforum
from civicforum.recruitment import forms
from civicforum.recruitment.models import Invitation, RecruitmentSettings, Respondent
from civicforum.recruitment.services import civic_lottery, quotas, registration

pytestmark = pytest.mark.django_db


def step_url(forum: Any, step: str) -> str:
    return reverse("recruitment:register_step", args=[forum.slug, step])


def back_link(forum: Any, step: str) -> str:
    return f'href="{step_url(forum, step)}" class="govuk-back-link"'


@pytest.fixture
def code(recruiting_forum: Any) -> str:
    return civic_lottery.issue_code(Invitation.objects.filter(lottery__forum=recruiting_forum).first())


def test_a_code_that_does_not_work_keeps_the_back_link(client: Any, recruiting_forum: Any) -> None:
    page = client.post(step_url(recruiting_forum, "code"), {"code": "AAAAA-AAAAA"}).content.decode()
    assert "We do not recognise that code" in page
    start = reverse("recruitment:register_start", args=[recruiting_forum.slug])
    assert f'href="{start}" class="govuk-back-link"' in page


def test_someone_who_answered_no_by_mistake_can_go_back_and_change_it(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    client.post(step_url(recruiting_forum, "code"), {"code": code})
    page = client.post(step_url(recruiting_forum, "age"), {"answer": "no"}).content.decode()
    assert "You cannot take part" in page
    assert back_link(recruiting_forum, "age") in page
    again = client.get(step_url(recruiting_forum, "age")).content.decode()
    assert re.search(r'value="no"\s+checked', again)  # the answer is kept


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("K7QX2-MBH9O", "Codes never contain the letters O or I, or the numbers 0 or 1"),
        ("k7qx2 mbhi1", "Codes never contain the letters O or I, or the numbers 0 or 1"),
        ("K7QX2-MBH9", "The code must be 10 letters and numbers, like K7QX2-MBH9T. You entered 9"),
        ("K7QX2-MBH9TT", "You entered 11"),
        ("K7QX2-MBH9É", "Enter only the letters and numbers of the code on your letter"),
        # Not 'You entered 0': what a code looks like and where the letter prints it.
        ("😀😀😀", "it is printed in bold in the ‘How to register’ box, and is 10 letters and numbers"),
        ("!!! ??? ★", "Enter the code from your letter: it is printed in bold in the ‘How to register’ box"),
    ],
)
def test_a_mistyped_code_is_told_exactly_what_to_fix(
    client: Any, recruiting_forum: Any, typed: str, message: str
) -> None:
    page = client.post(step_url(recruiting_forum, "code"), {"code": typed}).content.decode()
    assert page.count(message) == 2  # the error summary and the field


def test_a_real_code_is_accepted_however_loosely_it_is_typed(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    typed = " " + code.lower().replace("-", " - ") + " "
    response = client.post(step_url(recruiting_forum, "code"), {"code": typed})
    assert response.status_code == 302 and response.url == step_url(recruiting_forum, "age")


@pytest.mark.parametrize(
    "phone", ["01632 960 001", "(01632) 960001", "+44 7700 900982", "+44 (0)7700 900982", "07700-900-982"]
)
def test_phone_numbers_as_people_write_them_are_accepted(phone: str) -> None:
    assert forms.ContactForm({"phone": f" {phone} "}).is_valid()


@pytest.mark.parametrize("phone", ["none", "960001", "07700 900982 ext 2", "+44 7700 900982 +1"])
def test_something_that_is_not_a_phone_number_is_told_what_to_enter(phone: str) -> None:
    form = forms.ContactForm({"phone": phone})
    assert form.errors["phone"] == [
        "Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"
    ]


@pytest.fixture
def registered(recruiting_forum: Any) -> Any:
    invitation = Invitation.objects.filter(lottery__forum=recruiting_forum).first()
    details = registration.Registration(
        full_name="Siân O'Brien", email="sian@example.org", phone="07700 900982"
    )
    return registration.register(recruiting_forum, invitation, details)


@pytest.mark.parametrize("mangle", [str.lower, lambda r: r.replace("-", " "), lambda r: r[2:6] + "-" + r[6:]])
def test_a_reference_copied_loosely_still_withdraws(
    client: Any, recruiting_forum: Any, registered: Any, mangle: Any
) -> None:
    url = reverse("recruitment:withdraw_public", args=[recruiting_forum.slug])
    posted = {"reference": mangle(registered.reference), "contact": "sian@example.org "}
    page = client.post(url, posted, follow=True)
    assert "Your information has been erased" in page.content.decode()


@pytest.mark.parametrize(
    "phone", ["+44 7700 900982", "+44 (0)7700 900982", "0044 7700 900982", "(07700) 900-982"]
)
def test_the_phone_number_given_in_another_form_still_withdraws(
    client: Any, recruiting_forum: Any, registered: Any, phone: str
) -> None:
    url = reverse("recruitment:withdraw_public", args=[recruiting_forum.slug])
    page = client.post(url, {"reference": registered.reference, "contact": phone}, follow=True)
    assert "Your information has been erased" in page.content.decode()


def test_a_reference_typed_as_only_symbols_is_told_what_one_looks_like_and_counts_no_wrong_try(
    client: Any, recruiting_forum: Any, registered: Any
) -> None:
    """Emoji or symbols in the reference box were answered 'We could not find a registration', as a
    wrong reference would be, and counted as a guess towards the limit."""
    from django.core.cache import cache

    from civicforum.core import rate_limits

    url = reverse("recruitment:withdraw_public", args=[recruiting_forum.slug])
    page = client.post(url, {"reference": "😀 ★ ?", "contact": "sian@example.org"}).content.decode()
    assert "R- and 8 letters and numbers, like R-K7QX2MBH" in page
    assert "could not find a registration" not in page
    assert cache.get(rate_limits.key(registration.CODE_CHECKS, "127.0.0.1")) is None


def test_a_different_phone_number_does_not_withdraw(
    client: Any, recruiting_forum: Any, registered: Any
) -> None:
    url = reverse("recruitment:withdraw_public", args=[recruiting_forum.slug])
    for phone in ["+44 7700 900983", "+1 7700 900982", "7700900982"]:
        page = client.post(url, {"reference": registered.reference, "contact": phone})
        assert "could not find a registration" in page.content.decode()


def answer_every_step(client: Any, forum: Any, code: str) -> None:
    steps = {"code": {"code": code}, "age": {"answer": "yes"}, "area": {"answer": "yes"}}
    steps |= {"name": {"full_name": "Siân O'Brien"}, "contact": {"email": "sian@example.org"}}
    asked = [q for q in quotas.questions_with_categories(forum) if not q.from_address]
    steps |= {f"q-{q.key}": {"answer": q.categories.first().key} for q in asked}
    steps |= {
        "availability": {"sessions": ["Saturday 6 March 2027"]},
        "consent": {"consent": "on"},
    }
    for step, data in steps.items():
        assert client.post(step_url(forum, step), data).status_code == 302, step


def test_check_your_answers_has_a_back_link_and_going_back_keeps_the_consent(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    answer_every_step(client, recruiting_forum, code)
    check = reverse("recruitment:register_check", args=[recruiting_forum.slug])
    assert back_link(recruiting_forum, "consent") in client.get(check).content.decode()
    consent = client.get(step_url(recruiting_forum, "consent")).content.decode()
    assert re.search(r'name="consent"[^>]*checked', consent)
    changing = client.get(step_url(recruiting_forum, "name")).content.decode()
    assert f'href="{check}" class="govuk-back-link"' in changing  # back from a change returns to the check


def test_each_change_link_says_what_it_changes_as_a_sentence(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    """A screen reader read 'Change what is your gender?': the question, lowercased after 'Change'."""
    answer_every_step(client, recruiting_forum, code)
    page = client.get(reverse("recruitment:register_check", args=[recruiting_forum.slug])).content.decode()
    hidden = re.findall(r'>Change<span class="govuk-visually-hidden"> ([^<]+)</span></a>', page)
    asked = [q.label for q in quotas.questions_with_categories(recruiting_forum) if not q.from_address]
    assert asked
    assert hidden == ["name", "contact details"] + [f"your answer to ‘{label}’" for label in asked] + [
        "sessions you could attend"
    ]


@pytest.mark.parametrize(("step", "data"), [("age", {}), ("availability", {}), ("consent", {}), ("name", {})])
def test_each_error_summary_link_goes_to_the_box_or_first_option_to_fix(
    client: Any, recruiting_forum: Any, code: str, step: str, data: dict[str, str]
) -> None:
    client.post(step_url(recruiting_forum, "code"), {"code": code})
    page = client.post(step_url(recruiting_forum, step), data).content.decode()
    summary = page.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    targets = re.findall(r'href="#([^"]+)"', summary)
    assert targets and all(f'id="{target}"' in page for target in targets), targets


@pytest.mark.parametrize(
    ("form", "field", "attributes"),
    [
        (forms.NameForm(), "full_name", {"autocomplete": "name", "spellcheck": "false"}),
        (forms.ContactForm(), "email", {"autocomplete": "email", "spellcheck": "false", "type": "email"}),
        (forms.ContactForm(), "phone", {"autocomplete": "tel", "type": "tel"}),
        (forms.WithdrawForm(), "reference", {"autocomplete": "off", "spellcheck": "false"}),
        (forms.WithdrawForm(), "contact", {"spellcheck": "false"}),
        (forms.PanelReplyForm(), "reference", {"autocomplete": "off", "spellcheck": "false"}),
        (forms.PanelReplyForm(), "contact", {"spellcheck": "false"}),
    ],
)
def test_boxes_for_names_emails_and_references_say_what_they_hold_and_are_not_spellchecked(
    form: Any, field: str, attributes: dict[str, str]
) -> None:
    html = str(form[field])
    assert all(f'{name}="{value}"' in html for name, value in attributes.items()), html


def test_withdraw_links_make_sense_read_out_of_context(client: Any, recruiting_forum: Any, code: str) -> None:
    answer_every_step(client, recruiting_forum, code)
    client.post(reverse("recruitment:register_check", args=[recruiting_forum.slug]))
    done = client.get(reverse("recruitment:register_done", args=[recruiting_forum.slug])).content.decode()
    privacy = client.get(reverse("recruitment:privacy", args=[recruiting_forum.slug])).content.decode()
    for page in (done, privacy):
        links = re.findall(r'href="[^"]*/register/withdraw/">([^<]*)</a>', page)
        assert links and all("withdraw your registration" in text for text in links), links


def test_the_withdraw_form_has_a_way_back_for_someone_who_opened_it_by_mistake(
    client: Any, recruiting_forum: Any
) -> None:
    """Withdrawing erases everything; the form, opened from the confirmation or the start page, had no
    Back link, only its red button."""
    url = reverse("recruitment:withdraw_public", args=[recruiting_forum.slug])
    start = reverse("recruitment:register_start", args=[recruiting_forum.slug])
    for response in (client.get(url), client.post(url, {})):
        assert f'href="{start}" class="govuk-back-link"' in response.content.decode()


def test_the_example_code_and_reference_in_hints_are_never_broken_after_their_dash(
    client: Any, recruiting_forum: Any
) -> None:
    """On a phone, 'for example R-K7QX2MBH' broke after 'R-', which read as the whole reference."""
    one_invitation_sent(recruiting_forum)
    for url, example in (
        (step_url(recruiting_forum, "code"), "K7QX2-MBH9T"),
        (reverse("recruitment:withdraw_public", args=[recruiting_forum.slug]), "R-K7QX2MBH"),
        (reverse("recruitment:panel_reply", args=[recruiting_forum.slug]), "R-K7QX2MBH"),
    ):
        hint = client.get(url).content.decode().split('class="govuk-hint">')[1].split("</div>")[0]
        assert f'for example <span class="civicforum-nowrap">{example}</span>' in hint, url


def test_going_back_to_the_code_page_keeps_the_code(client: Any, recruiting_forum: Any, code: str) -> None:
    client.post(step_url(recruiting_forum, "code"), {"code": f" {code.lower()} "})
    page = client.get(step_url(recruiting_forum, "code")).content.decode()
    assert f'value="{code.lower()}"' in page


def test_typos_in_the_code_do_not_lock_the_resident_out(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    for _ in range(registration.MAX_FAILED_CODE_CHECKS + 1):
        client.post(step_url(recruiting_forum, "code"), {"code": code.replace("-", "")[:-1]})
    response = client.post(step_url(recruiting_forum, "code"), {"code": code})
    assert response.status_code == 302 and response.url == step_url(recruiting_forum, "age")


def test_the_selection_record_has_three_steps_to_check_it_then_the_checks_by_hand(
    client: Any, pool: Any, officer: Any
) -> None:
    forum = pool[0].forum
    publish_selection(forum, officer, seed="public-seed")
    page = client.get(reverse("recruitment:selection_record", args=[forum.slug])).content.decode()
    steps, after = page.split('<ol class="govuk-list govuk-list--number">')[1].split("</ol>", 1)
    assert steps.count("<li>") == 3 and "source code</a>" in steps and "civicforum selection verify" in steps
    hand_checks = after.split('<ul class="govuk-list govuk-list--bullet">')[1].split("</ul>")[0]
    assert hand_checks.count("<li>") == 2 and "their SHA-256 hash is the fingerprint" in hand_checks
    # Prose counts read with a thousands separator; the number to divide by stays as a program wants it.
    assert "1,000 possible panels" in page and "of 1,000</dd>" in page
    assert "divided by 1000," in hand_checks


def test_the_selection_records_command_verifies_a_seed_of_lottery_numbers_copied_as_it_stands(
    client: Any, pool: Any, officer: Any, tmp_path: Path
) -> None:
    """The page printed the seed unquoted: with spaces, as lottery numbers have, the command copied from it
    stopped with 'unrecognized arguments' before checking anything."""
    forum = pool[0].forum
    publish_selection(forum, officer, seed="5 12 19 33 41 48")
    page = client.get(reverse("recruitment:selection_record", args=[forum.slug])).content.decode()
    for name, url_name in (("distribution.json", "distribution"), ("selected.csv", "selected")):
        download = client.get(reverse(f"recruitment:selection_{url_name}", args=[forum.slug]))
        (tmp_path / name).write_bytes(download.content)
    command = html.unescape(re.search(r"<code[^>]*>(civicforum selection verify [^<]*)</code>", page)[1])
    assert command == 'civicforum selection verify FOLDER --seed "5 12 19 33 41 48"'
    words = shlex.split(command.replace("FOLDER", shlex.quote(str(tmp_path))))
    assert civicforum(words[1:]) == 0


def test_the_selection_record_says_when_the_panel_was_drawn(client: Any, pool: Any, officer: Any) -> None:
    """It gave only the date it was published, so nobody could compare the draw's time with when its draw
    code was announced."""
    from civicforum.recruitment.models import SelectionRun

    forum = pool[0].forum
    publish_selection(forum, officer, seed="public-seed")
    drawn = datetime(2026, 7, 1, 17, 5, tzinfo=UTC)  # 6:05 pm in London (BST)
    SelectionRun.objects.filter(forum=forum).update(finished_at=drawn)
    page = client.get(reverse("recruitment:selection_record", args=[forum.slug])).content.decode()
    assert re.search(r"Drawn on</dt>\s*<dd[^>]*>1 July 2026 at 6:05pm</dd>", page)


def test_a_form_sent_without_its_cookie_gets_a_plain_english_page(recruiting_forum: Any) -> None:
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        step_url(recruiting_forum, "code"), {"code": "K7QX2-MBH9T"}
    )
    page = response.content.decode()
    assert response.status_code == 403
    assert "Sorry, your answers were not saved" in page and "govuk-template" in page
    assert "CSRF" not in page


def test_the_selection_record_says_quota_ranges_in_words(client: Any, pool: Any, officer: Any) -> None:
    from civicforum.recruitment.models import QuotaCategory
    from civicforum.recruitment.services import quotas, selection
    from civicforum.recruitment.services.quotas import target_words

    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    categories = list(QuotaCategory.objects.filter(question__forum=forum).order_by("pk")[:3])
    ranges = [(None, None), (3, None), (None, 4)]
    for category, (low, high) in zip(categories, ranges, strict=True):
        category.min_members, category.max_members = low, high
        category.save()
    run = run_selection(forum, officer, "legacy", seed="public-seed")
    selection.publish(run, officer)  # the record shows the targets the panel was drawn with
    page = client.get(reverse("recruitment:selection_record", args=[forum.slug])).content.decode()
    cells = re.findall(r'<td class="govuk-table__cell govuk-table__cell--numeric">([^<]*)</td>', page)
    # The first three answers' counts are 6, 6 and fewer than 5: the first two shown, so their targets
    # are shown too; 'up to 4' says no more than 'fewer than 5' does, so it is shown beside it.
    assert cells[:6] == ["any number", "6", "at least 3", "6", "up to 4", "fewer than 5"]
    assert not [cell for cell in cells if "–" in cell or "any" in cell and cell != "any number"]
    assert [target_words(2, 2), target_words(2, 5), target_words(0, 3)] == ["2", "2 to 5", "up to 3"]


def test_pages_that_say_call_us_give_the_number(client: Any, recruiting_forum: Any, code: str) -> None:
    recruiting_forum.recruitment.phone = "01632 960 000"
    recruiting_forum.recruitment.save()
    wrong = client.post(step_url(recruiting_forum, "code"), {"code": "AAAAA-AAAAA"}).content.decode()
    assert "If your code does not work" in wrong and "Call 01632 960 000" in wrong
    client.post(step_url(recruiting_forum, "code"), {"code": code})
    client.post(step_url(recruiting_forum, "age"), {"answer": "yes"})
    moved = client.post(step_url(recruiting_forum, "area"), {"answer": "no"}).content.decode()
    assert "If you moved recently, call 01632 960 000" in moved


def test_withdrawing_which_erases_everything_is_a_red_warning_button(
    client: Any, recruiting_forum: Any
) -> None:
    page = client.get(reverse("recruitment:withdraw_public", args=[recruiting_forum.slug])).content.decode()
    assert re.search(
        r'class="govuk-button govuk-button--warning"[^>]*>Withdraw and erase my information', page
    )


def test_the_confirmation_says_how_the_chosen_are_told_and_when_details_are_deleted(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    recruiting_forum.recruitment.retention_until = date(2027, 9, 30)
    recruiting_forum.recruitment.save()
    answer_every_step(client, recruiting_forum, code)
    client.post(reverse("recruitment:register_check", args=[recruiting_forum.slug]))
    done = client.get(reverse("recruitment:register_done", args=[recruiting_forum.slug])).content.decode()
    assert "If you are chosen, we will write to you at home and email you" in done
    assert "If you are not chosen, we will not contact you again." in done
    assert "We will delete your details on 30 September 2027." in done


def test_opening_the_letter_link_again_keeps_the_answers_given_and_another_code_starts_afresh(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    start = reverse("recruitment:register_start", args=[recruiting_forum.slug])
    client.get(start, {"code": code})
    client.post(step_url(recruiting_forum, "code"), {"code": code})
    client.post(step_url(recruiting_forum, "age"), {"answer": "yes"})
    client.post(step_url(recruiting_forum, "area"), {"answer": "yes"})
    client.post(step_url(recruiting_forum, "name"), {"full_name": "Siân O'Brien"})
    client.get(start, {"code": code.lower().replace("-", "")})  # the same code, typed loosely in the link
    assert "Siân O&#x27;Brien" in client.get(step_url(recruiting_forum, "name")).content.decode()
    assert client.get(step_url(recruiting_forum, "age")).status_code == 200  # still past the code step
    other = civic_lottery.issue_code(Invitation.objects.filter(lottery__forum=recruiting_forum).last())
    client.get(start, {"code": other})
    assert client.get(step_url(recruiting_forum, "name")).url == step_url(recruiting_forum, "code")
    assert other in client.get(step_url(recruiting_forum, "code")).content.decode()


def test_the_letter_link_keeps_its_code_for_the_code_step_and_leaves_it_out_of_the_address_bar(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    start = reverse("recruitment:register_start", args=[recruiting_forum.slug])
    response = client.get(start, {"code": code})
    assert response.status_code == 302 and response.url == start  # history and Referer keep no code
    page = client.get(response.url).content.decode()
    assert "Start now" in page and code not in page
    assert f'value="{code}"' in client.get(step_url(recruiting_forum, "code")).content.decode()


def test_someone_who_can_attend_none_of_the_dates_is_told_why_and_nothing_is_kept(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    RecruitmentSettings.objects.filter(forum=recruiting_forum).update(phone="01632 960 001")
    client.post(step_url(recruiting_forum, "code"), {"code": code})
    client.post(step_url(recruiting_forum, "name"), {"full_name": "Siân O'Brien"})
    form = client.get(step_url(recruiting_forum, "availability")).content.decode()
    assert "I cannot attend any of these dates" in form and "govuk-checkboxes__divider" in form
    page = client.post(step_url(recruiting_forum, "availability"), {"sessions": ["cannot-attend"]})
    text = page.content.decode()
    assert "Members must attend the sessions" in text and "call 01632 960 001" in text
    assert "We have not kept any of your answers" in text
    assert client.get(step_url(recruiting_forum, "name")).url == step_url(recruiting_forum, "code")
    assert not Respondent.objects.filter(forum=recruiting_forum).exists()


def test_a_date_and_cannot_attend_together_are_refused_with_what_to_do(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    client.post(step_url(recruiting_forum, "code"), {"code": code})
    both = {"sessions": ["Saturday 6 March 2027", "cannot-attend"]}
    page = client.post(step_url(recruiting_forum, "availability"), both).content.decode()
    assert page.count("or ‘I cannot attend any of these dates’, not both") == 2  # summary and field
    empty = client.post(step_url(recruiting_forum, "availability"), {}).content.decode()
    assert "or select ‘I cannot attend any of these dates’" in empty


@pytest.mark.parametrize(
    ("adults", "sentence"),
    [
        (1, "If someone else in your household is aged 16 or over, they may register with the same code"),
        (2, "Up to 2 people in your household who are aged 16 or over may register with the same code."),
    ],
)
def test_someone_under_16_is_told_who_else_in_the_household_may_use_the_code(
    client: Any, recruiting_forum: Any, code: str, adults: int, sentence: str
) -> None:
    # The code's own limit counts, whatever the settings say now.
    Invitation.objects.filter(lottery__forum=recruiting_forum).update(max_adults=adults)
    RecruitmentSettings.objects.filter(forum=recruiting_forum).update(adults_per_household=5)
    client.post(step_url(recruiting_forum, "code"), {"code": code})
    page = client.post(step_url(recruiting_forum, "age"), {"answer": "no"}).content.decode()
    assert sentence in page
    assert "Someone else in your household may register" not in page


def test_an_officer_who_registered_a_caller_is_offered_the_next_caller_and_the_way_back(
    signed_in_client: Any, recruiting_forum: Any, code: str, officer: Any
) -> None:
    """The confirmation led only to the public forum page, leaving the officer with no way back."""
    client = signed_in_client(officer)
    client.get(reverse("recruitment:phone_registration", args=[recruiting_forum.slug]))
    answer_every_step(client, recruiting_forum, code)
    client.post(reverse("recruitment:register_check", args=[recruiting_forum.slug]))
    done = client.get(reverse("recruitment:register_done", args=[recruiting_forum.slug])).content.decode()
    phone = reverse("recruitment:phone_registration", args=[recruiting_forum.slug])
    overview = reverse("recruitment:overview", args=[recruiting_forum.slug])
    assert f'href="{phone}">Register someone else by phone or from a paper form</a>' in done
    assert f'href="{overview}">Back to recruitment and selection</a>' in done


def test_a_resident_s_confirmation_offers_no_staff_links(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    answer_every_step(client, recruiting_forum, code)
    client.post(reverse("recruitment:register_check", args=[recruiting_forum.slug]))
    done = client.get(reverse("recruitment:register_done", args=[recruiting_forum.slug])).content.decode()
    assert "Register someone else" not in done and f"Back to {recruiting_forum.title}" in done


def test_answers_left_half_way_are_kept_for_a_day_not_two_weeks(
    client: Any, recruiting_forum: Any, code: str, officer: Any
) -> None:
    """On a shared computer, such as a library's, the next person must not find someone's name and answers
    waiting for two weeks; a day still lets a resident finish another time, and says so on the start page.
    An officer registering someone by phone keeps their own sign-in's length."""
    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.test import Client
    from django.utils import timezone

    start = client.get(reverse("recruitment:register_start", args=[recruiting_forum.slug]))
    assert "your answers are kept for a day, then deleted" in start.content.decode()
    for step, data in [("code", {"code": code}), ("age", {"answer": "yes"}), ("name", {"full_name": "Ann"})]:
        client.post(step_url(recruiting_forum, step), data)
    assert client.session.get_expiry_age() == 24 * 60 * 60
    stored = Session.objects.get(session_key=client.session.session_key)
    assert stored.expire_date <= timezone.now() + timedelta(hours=24)

    staff = Client()
    staff.force_login(officer)
    staff.get(reverse("recruitment:phone_registration", args=[recruiting_forum.slug]))
    assert staff.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_reloading_the_withdrawn_page_shows_it_again_without_trying_to_withdraw_again(
    client: Any, recruiting_forum: Any, registered: Any
) -> None:
    """The confirmation was the answer to the form's post: reloading it posted again, found no
    registration (it was erased) and counted a wrong attempt towards the limit on guessing."""
    from django.test import Client

    url = reverse("recruitment:withdraw_public", args=[recruiting_forum.slug])
    done = reverse("recruitment:withdrawn", args=[recruiting_forum.slug])
    response = client.post(url, {"reference": registered.reference, "contact": "sian@example.org"})
    assert response.status_code == 302 and response.url == done
    for _ in range(registration.MAX_FAILED_CODE_CHECKS + 1):  # reloaded, again and again
        page = client.get(done).content.decode()
        assert "Your information has been erased" in page and "could not find" not in page
    assert not registration.is_rate_limited("127.0.0.1")
    assert Client().get(done).url == url  # another browser is told nothing


def test_registering_sent_twice_shows_the_same_confirmation_and_registers_once(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    """Without JavaScript, a double click or a reload sent 'Register' twice: the second went to 'Enter the
    code' with no reference and nothing said. It now shows the same confirmation, with the same reference."""
    answer_every_step(client, recruiting_forum, code)
    check = reverse("recruitment:register_check", args=[recruiting_forum.slug])
    done = reverse("recruitment:register_done", args=[recruiting_forum.slug])
    assert client.post(check).url == done
    first = client.get(done).content.decode()
    again = client.post(check)
    assert again.status_code == 302 and again.url == done
    reference = Respondent.objects.get(forum=recruiting_forum).reference  # one registration
    assert reference in first and reference in client.get(done).content.decode()


def test_going_back_after_registering_says_so_and_someone_else_can_start_afresh(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    """The browser's Back button after 'Register' showed 'Enter the code' empty, with nothing said, as if
    the registration had been lost: residents filled the form in again. Every page of the form now says
    they have already registered, with their reference; someone else in the household starts afresh."""
    answer_every_step(client, recruiting_forum, code)
    check = reverse("recruitment:register_check", args=[recruiting_forum.slug])
    done = reverse("recruitment:register_done", args=[recruiting_forum.slug])
    client.post(check)
    reference = Respondent.objects.get(forum=recruiting_forum).reference
    for page in (check, step_url(recruiting_forum, "consent"), step_url(recruiting_forum, "code")):
        back = client.get(page)
        text = back.content.decode()
        assert back.status_code == 200 and "You have already registered" in text, page
        assert reference in text and "do not need to fill in the form again" in text
        assert 'name="code"' not in text and 'name="consent"' not in text
    resent = client.post(step_url(recruiting_forum, "consent"), {"consent": "on"}).content.decode()
    assert "You have already registered" in resent
    assert "can also register with the code on your letter" in client.get(done).content.decode()

    assert client.post(done).url == step_url(recruiting_forum, "code")  # 'Start another registration'
    assert 'name="code"' in client.get(step_url(recruiting_forum, "code")).content.decode()
    answer_every_step(client, recruiting_forum, code)
    client.post(check)
    assert Respondent.objects.filter(forum=recruiting_forum).count() == 2
    # Both of the letter's places are taken: nobody else is offered to register with it.
    assert "can also register" not in client.get(done).content.decode()


def test_the_buttons_of_public_forms_ignore_a_double_click_and_the_pages_take_one_without_javascript(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    """GOV.UK Frontend's button ignores a second click within a second when asked to
    (``data-prevent-double-click``); without JavaScript both are sent, and each page takes the second
    (registering: ``test_registering_sent_twice_shows_the_same_confirmation_and_registers_once``)."""
    one_invitation_sent(recruiting_forum)
    check = reverse("recruitment:register_check", args=[recruiting_forum.slug])
    done = reverse("recruitment:register_done", args=[recruiting_forum.slug])
    public_forms = [
        reverse("recruitment:withdraw_public", args=[recruiting_forum.slug]),
        reverse("recruitment:panel_reply", args=[recruiting_forum.slug]),
        step_url(recruiting_forum, "code"),
    ]
    answer_every_step(client, recruiting_forum, code)
    public_forms.append(check)
    pages = [client.get(url).content.decode() for url in public_forms]
    client.post(check)
    pages.append(client.get(done).content.decode())  # 'Start another registration'
    for url, page in zip([*public_forms, done], pages, strict=True):
        buttons = re.findall(r"<button type=\"submit\"[^>]*>", page)
        assert buttons and all('data-prevent-double-click="true"' in b for b in buttons), url
    # 'Start another registration' sent twice starts one registration, at the code, both times.
    assert client.post(done).url == client.post(done).url == step_url(recruiting_forum, "code")


def test_someone_registering_after_the_panel_was_published_is_told_it_is_chosen(
    client: Any, pool: Any, officer: Any
) -> None:
    """Registration may be reopened for replacements once the panel is drawn and its record published:
    the confirmation told them the panel would be chosen when registration closes."""
    from django.test import Client
    from tests.recruitment.conftest import close_registration, open_registration

    forum = pool[0].forum
    unused = Invitation.objects.filter(lottery__forum=forum, respondents=None).order_by("id")
    done_url = reverse("recruitment:register_done", args=[forum.slug])

    def register(browser: Any, invitation: Invitation) -> str:
        answer_every_step(browser, forum, civic_lottery.issue_code(invitation))
        browser.post(reverse("recruitment:register_check", args=[forum.slug]))
        return " ".join(browser.get(done_url).content.decode().split())

    open_registration(forum)
    before = register(client, unused[0])
    assert "When registration closes, the panel is chosen by a fair lottery" in before
    close_registration(forum)
    publish_selection(forum, officer, seed="reopened")
    open_registration(forum)
    after = register(Client(), unused[1])
    assert "When registration closes" not in after
    assert "The panel has already been chosen. If a place on it becomes free, you may be chosen" in after


def test_register_pressed_twice_at_once_saves_one_registration(
    client: Any, recruiting_forum: Any, code: str
) -> None:
    """A double click sends the check page twice; if the second request reads the answers before the
    first has saved its confirmation, it registered the same person again, under another reference."""
    answer_every_step(client, recruiting_forum, code)
    check = reverse("recruitment:register_check", args=[recruiting_forum.slug])
    done = reverse("recruitment:register_done", args=[recruiting_forum.slug])
    client.get(check)  # the page the resident presses 'Register' on
    key = registration.session_key(recruiting_forum)
    answers = client.session[key]
    assert client.post(check).url == done
    first = Respondent.objects.get(forum=recruiting_forum).reference
    session = client.session  # the second request read the answers before the first saved its reply
    session[key] = answers
    session.save()
    assert client.post(check).url == done
    assert [r.reference for r in Respondent.objects.filter(forum=recruiting_forum)] == [first]
    assert first in client.get(done).content.decode()


def test_withdrawing_sent_twice_shows_the_same_confirmation_and_counts_no_wrong_try(
    client: Any, recruiting_forum: Any, registered: Any
) -> None:
    """A double click sent the form twice: the second found no registration (the first had erased it),
    said so and counted a wrong try towards the limit on guessing references."""
    from django.core.cache import cache

    from civicforum.core import rate_limits

    url = reverse("recruitment:withdraw_public", args=[recruiting_forum.slug])
    done = reverse("recruitment:withdrawn", args=[recruiting_forum.slug])
    client.post(url, {"reference": registered.reference, "contact": "sian@example.org"})
    again = client.post(url, {"reference": registered.reference.lower(), "contact": "sian@example.org"})
    assert again.status_code == 302 and again.url == done
    assert cache.get(rate_limits.key(registration.CODE_CHECKS, "127.0.0.1")) is None
    other = client.post(url, {"reference": "R-AAAAAAAA", "contact": "sian@example.org"})  # still checked
    assert "could not find a registration" in other.content.decode()


def test_a_resident_who_comes_before_registration_opens_is_told_when_it_opens(
    client: Any, forum: Any
) -> None:
    """Before registration had opened, the start page said it 'is closed' and the panel 'is chosen from
    the people who registered before then', and the form's pages answered 403 'Registration is closed':
    a resident who came early (from the council's news, or a neighbour's letter) read that they had
    missed it."""
    from civicforum.processes.models import Stage, StageKind

    forum.current_stage = StageKind.DESIGN
    forum.save()
    RecruitmentSettings.objects.create(forum=forum, phone="01632 960000")
    opens = date.today() + timedelta(days=20)
    start_url = reverse("recruitment:register_start", args=[forum.slug])

    response = client.get(step_url(forum, "code"))
    page = " ".join(response.content.decode().split())
    assert response.status_code == 200 and "Registration is not open yet" in page
    assert "is not open at the moment." in page and "It opens on" not in page  # no date in the timeline
    Stage.objects.filter(forum=forum, kind=StageKind.RECRUITMENT).update(starts_on=opens)
    page = " ".join(client.get(step_url(forum, "code")).content.decode().split())
    assert f"It opens on {opens.day} {opens:%B %Y}." in page
    assert 'name="code"' not in page and "closed" not in page and "panel is chosen" not in page
    start = " ".join(client.get(start_url).content.decode().split())
    assert f"Registration is not open yet: it opens on {opens.day} {opens:%B %Y}." in start
    assert "Start now" not in start and "closed" not in start and "Already registered?" not in start

    # Registration opened, then closed: that is said as before.
    forum.current_stage = StageKind.SELECTION
    forum.save()
    closed = client.get(step_url(forum, "code"))
    assert closed.status_code == 403 and "Registration is closed" in closed.content.decode()
    assert "Registration is closed, so you cannot register now" in client.get(start_url).content.decode()


def test_registration_opened_early_and_closed_is_not_said_to_be_still_to_open(
    client: Any, recruiting_forum: Any, registered: Any
) -> None:
    """An officer opened registration before the Recruitment stage's start date, people registered, and
    registration closed for the draw: the start page told the public 'Registration is not open yet: it
    opens on ...' and hid the link to withdraw, and the form's pages said the same."""
    from civicforum.processes.models import Stage, StageKind

    recruiting_forum.current_stage = StageKind.RECRUITMENT
    recruiting_forum.save()
    opens = date.today() + timedelta(days=60)
    Stage.objects.filter(forum=recruiting_forum, kind=StageKind.RECRUITMENT).update(starts_on=opens)
    RecruitmentSettings.objects.filter(forum=recruiting_forum).update(registration_open=False)

    start = " ".join(
        client.get(reverse("recruitment:register_start", args=[recruiting_forum.slug]))
        .content.decode()
        .split()
    )
    assert "not open yet" not in start and "Registration is closed, so you cannot register now" in start
    assert "Already registered?" in start
    closed = client.get(step_url(recruiting_forum, "code"))
    assert closed.status_code == 403 and "Registration is closed" in closed.content.decode()
