"""Whether a question asks for special category data (UK GDPR art. 9) is the officer's answer, kept on the
question: its wording only suggests that answer when the question is added."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from tests.factories import sign_in_browser

from civicforum.core.models import AuditEvent
from civicforum.recruitment.models import QuotaQuestion, RecruitmentSettings
from civicforum.recruitment.services import quotas

pytestmark = pytest.mark.django_db

OPENING = {"registration_open": "on", "adults_per_household": "2", "phone": "", "session_dates": ""}
ETHNIC_GROUPS = "White\nAsian, Black, mixed or another ethnic group"


def url(name: str, forum: Any) -> str:
    return reverse(f"recruitment:{name}", kwargs={"forum_slug": forum.slug})


def add(forum: Any, officer: Any, label: str, special_category: bool) -> QuotaQuestion:
    answers = [("Group A", None), ("Group B", None)]
    return quotas.add_question(forum, officer, label, "", answers, True, special_category=special_category)


def test_a_question_marked_special_in_words_no_list_knows_is_treated_as_special_everywhere(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """Neither question's wording has a word the old guess looked for, so registration opened without a
    word about them and the privacy notice did not name them: the officer's mark now decides."""
    client = signed_in_client(officer)
    described = add(forum, officer, "Which of these best describes you?", special_category=True)
    welsh = add(forum, officer, "Oes gennych chi gyflwr hirdymor?", special_category=True)

    forum_questions = quotas.questions_with_categories(forum)
    assert quotas.unneeded_special_questions(forum_questions, None) == [described, welsh]
    questions_page = client.get(url("questions", forum)).content.decode()
    assert "These questions ask for special category data" in questions_page
    assert questions_page.count('<strong class="govuk-tag govuk-tag--purple">Special category<') == 2
    refused = client.post(url("settings", forum), OPENING).content.decode()
    assert "Tick to confirm you need the answers to ‘Which of these best describes you?’ and" in refused
    assert not RecruitmentSettings.objects.get(forum=forum).registration_open
    privacy = client.get(url("privacy", forum)).content.decode()
    assert "Some questions ask for sensitive information" in privacy
    assert "<li>Which of these best describes you?</li><li>Oes gennych chi gyflwr hirdymor?</li>" in privacy


def test_a_question_not_marked_special_is_not_whatever_its_words(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """'health' in 'the health of the high street' made the old guess warn the officer and ask for a
    tick before registration opened, and the privacy notice called the answers sensitive."""
    client = signed_in_client(officer)
    label = "What do you believe the health of the high street depends on?"
    add(forum, officer, label, special_category=False)

    assert quotas.unneeded_special_questions(quotas.questions_with_categories(forum), None) == []
    questions_page = client.get(url("questions", forum)).content.decode()
    assert "special category data, but no quota" not in questions_page
    assert "govuk-tag--purple" not in questions_page
    assert client.post(url("settings", forum), OPENING).status_code == 302
    assert RecruitmentSettings.objects.get(forum=forum).registration_open
    assert "sensitive information" not in client.get(url("privacy", forum)).content.decode()


def test_the_privacy_notice_names_the_forums_own_questions_not_fixed_examples(
    client: Any, forum: Any, officer: Any
) -> None:
    """'What we collect' said 'answers about yourself (such as age group, ethnicity or disability)'
    whatever the forum asked: a forum asking neither still told registrants it collected them."""
    add(forum, officer, "How old are you?", special_category=False)
    add(forum, officer, "What is your religion?", special_category=True)
    notice = html.unescape(client.get(url("privacy", forum)).content.decode())
    assert "ethnicity" not in notice and "disability" not in notice
    assert "Your answers to these questions about yourself" in notice
    assert "<li>How old are you?</li><li>What is your religion?</li>" in notice
    assert "One question asks for sensitive information" in notice
    assert "<li>What is your religion?</li></ul>" in notice.split("One question asks")[1]
    assert "The ward you live in" not in notice


def test_the_privacy_notice_says_the_ward_comes_from_the_letters_address(
    client: Any, recruiting_forum: Any
) -> None:
    notice = html.unescape(client.get(url("privacy", recruiting_forum)).content.decode())
    assert "The ward you live in, from the address on your letter" in notice
    assert "<li>Ward</li>" not in notice  # never asked: not listed among the questions answered


@pytest.mark.parametrize(
    ("wording", "suggested"),
    [
        (("Which of these best describes you?", "", ETHNIC_GROUPS), True),  # from its answers
        (("Do you have a long-term condition?", "", "Yes\nNo"), True),
        (("Oes gennych chi anabledd?", "", "Oes\nNac oes"), True),  # Welsh: a disability
        (("Pa un sy'n disgrifio eich grŵp ethnig?", "", "Gwyn\nArall"), True),
        (("How often do you visit?", "Including visits for health appointments", "Weekly\nRarely"), True),
        (("What do you believe the town centre needs?", "", "Shops\nParking"), False),
        (("How old are you?", "", "16 to 29\n30 or over"), False),
    ],
)
def test_the_wording_of_a_question_its_hint_and_its_answers_suggest_an_answer(
    wording: tuple[str, str, str], suggested: bool
) -> None:
    assert quotas.suggests_special_category(*wording) is suggested


def checked_answer(page: str) -> str | None:
    """The value of the checked 'special category data' radio on the questions page (None: neither)."""
    radios = [radio.split(">")[0] for radio in page.split('name="special_category"')[1:]]
    assert len(radios) == 2
    checked = [radio.split('value="')[1].split('"')[0] for radio in radios if 'checked="checked"' in radio]
    return checked[0] if checked else None


def test_the_form_suggests_an_answer_from_the_wording_and_the_officer_confirms_or_changes_it(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    client = signed_in_client(officer)
    first_visit = client.get(url("questions", forum)).content.decode()
    assert "Does this question ask for special category data?" in first_visit
    assert checked_answer(first_visit) is None  # nothing typed yet to suggest an answer from

    posted = {"action": "add", "label": "Which of these best describes you?", "categories": ETHNIC_GROUPS}
    suggestion = client.post(url("questions", forum), posted)
    page = html.unescape(suggestion.content.decode())
    assert suggestion.status_code == 200 and not QuotaQuestion.objects.filter(forum=forum).exists()
    assert "The question has not been added yet." in page and 'href="#id_special_category_1"' in page
    assert checked_answer(page) == "yes"
    assert "Asian, Black, mixed or another ethnic group</textarea>" in page  # what was typed is kept

    assert client.post(url("questions", forum), {**posted, "special_category": "no"}).status_code == 302
    overridden = QuotaQuestion.objects.get(forum=forum)
    assert not overridden.special_category

    harmless = {"action": "add", "label": "What do you believe the town centre needs?", "categories": "A\nB"}
    assert checked_answer(client.post(url("questions", forum), harmless).content.decode()) == "no"
    assert client.post(url("questions", forum), {**harmless, "special_category": "yes"}).status_code == 302
    assert QuotaQuestion.objects.get(forum=forum, label=harmless["label"]).special_category


def test_no_answer_is_suggested_beside_another_error_so_none_is_saved_unseen(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """The suggestion was ticked beside the error summary, where the banner asking to check it is not
    shown: once the officer put the error right, the next post saved the guess as their answer."""
    client = signed_in_client(officer)
    one_answer = {"action": "add", "label": "What is your ethnic group?", "categories": "White"}
    refused = client.post(url("questions", forum), one_answer).content.decode()
    assert "Enter at least two answers, one per line" in refused
    assert checked_answer(refused) is None and "The question has not been added yet." not in refused

    corrected = client.post(url("questions", forum), {**one_answer, "categories": ETHNIC_GROUPS})
    page = html.unescape(corrected.content.decode())
    assert corrected.status_code == 200 and not QuotaQuestion.objects.filter(forum=forum).exists()
    assert "The question has not been added yet." in page and checked_answer(page) == "yes"


def test_the_yes_or_no_radios_sit_side_by_side_as_every_other_yes_or_no(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """GOV.UK inline radios for two short answers, as the registration's own yes or no questions."""
    client = signed_in_client(officer)
    question = add(forum, officer, "How old are you?", special_category=False)
    kwargs = {"forum_slug": forum.slug, "question_id": question.pk}
    for page in (url("questions", forum), reverse("recruitment:question_special_category", kwargs=kwargs)):
        fieldset = client.get(page).content.decode().split('id="div_id_special_category"')[1]
        assert '<div class="govuk-radios--inline">' in fieldset.split("</fieldset>")[0], page


def test_an_answer_given_with_the_question_is_kept_without_a_suggestion(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    posted = {"action": "add", "label": "What is your ethnic group?", "categories": ETHNIC_GROUPS}
    response = signed_in_client(officer).post(url("questions", forum), {**posted, "special_category": "yes"})
    assert response.status_code == 302
    assert QuotaQuestion.objects.get(forum=forum).special_category


def test_the_demo_questions_on_ethnicity_and_disability_are_marked_special(recruiting_forum: Any) -> None:
    marked = QuotaQuestion.objects.filter(forum=recruiting_forum, special_category=True)
    assert sorted(marked.values_list("key", flat=True)) == ["disability", "ethnicity"]


@pytest.mark.browser
@pytest.mark.parametrize("browser_page", ["page_without_js", "page"])
def test_an_officer_checks_the_suggested_answer_and_changes_it_with_or_without_javascript(
    browser_page: str, request: Any, live_server: Any, axe_check: Any, forum: Any, officer: Any
) -> None:
    page = request.getfixturevalue(browser_page)
    sign_in_browser(page, live_server.url, officer)
    page.goto(f"{live_server.url}{url('questions', forum)}")
    page.get_by_label("Question", exact=True).fill("Do you have a long-term condition?")
    page.get_by_label("Answers").fill("Yes\nNo")
    page.get_by_role("button", name="Add question").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("The question has not been added yet")
    legend = "Does this question ask for special category data?"
    answers = page.get_by_role("group", name=legend)
    expect(answers.get_by_label("Yes")).to_be_checked()
    if browser_page == "page":  # axe-core runs in the page's JavaScript
        axe_check(page)
    page.get_by_role("link", name="Check whether it asks for special category data").click()
    answers.get_by_label("No").check()
    page.get_by_role("button", name="Add question").click()

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Questions saved")
    expect(page.locator("main h2", has_text="Do you have a long-term condition?")).to_have_count(1)
    expect(page.locator(".govuk-tag--purple")).to_have_count(0)
    assert not QuotaQuestion.objects.get(forum=forum).special_category

    page.get_by_role("link", name="Change whether it asks for special category data").click()
    expect(page.get_by_label("No")).to_be_checked()
    if browser_page == "page":
        axe_check(page)
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-tag--purple")).to_have_text("Special category")
    assert QuotaQuestion.objects.get(forum=forum).special_category


def test_an_officer_changes_the_mark_of_a_question_added_before_it_was_asked_until_anyone_registers(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """Questions from before the flag were marked from their wording, which can be wrong: the officer
    corrects the mark while the questions can still change."""
    client = signed_in_client(officer)
    question = add(forum, officer, "How is the health of the high street?", special_category=True)
    change = reverse(
        "recruitment:question_special_category",
        kwargs={"forum_slug": forum.slug, "question_id": question.pk},
    )
    assert f'href="{change}">Change whether it asks for special category data' in (
        client.get(url("questions", forum)).content.decode()
    )
    page = html.unescape(client.get(change).content.decode())
    heading = r'<h1 class="govuk-fieldset__heading">\s*Does ‘How is the health of the high street\?’ ask for'
    assert re.search(heading, page)
    assert checked_answer(page) == "yes"
    refused = client.post(change, {}).content.decode()
    assert (
        "<title>Error: " in refused
        and "Select whether the question asks for special category data" in refused
    )

    assert client.post(change, {"special_category": "no"}).status_code == 302
    question.refresh_from_db()
    assert not question.special_category
    assert AuditEvent.objects.filter(
        action="recruitment.quota_question_marked",
        target_id=str(question.pk),
        details__special_category=False,
    ).exists()
    assert "special category data, but no quota" not in client.get(url("questions", forum)).content.decode()


def test_once_anyone_has_registered_a_question_can_be_marked_but_not_unmarked(
    client: Any, signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """A question whose wording the old guess missed can still be marked once people have registered (the
    privacy notice names it from then on), erasing the answers given before (the next test); it was
    refused with the rest. Unmarking stays refused: people registered on a notice calling those answers
    sensitive."""
    forum, officer_client = pool[0].forum, signed_in_client(officer)

    def change(key: str) -> str:
        question = QuotaQuestion.objects.get(forum=forum, key=key)
        kwargs = {"forum_slug": forum.slug, "question_id": question.pk}
        return reverse("recruitment:question_special_category", kwargs=kwargs)

    questions_page = officer_client.get(url("questions", forum)).content.decode()
    assert f'href="{change("gender")}">Change whether it asks' in questions_page
    assert change("ethnicity") not in questions_page and "Remove<" not in questions_page
    refused = officer_client.post(change("ethnicity"), {"special_category": "no"}).content.decode()
    assert "150 people have already registered" in refused and "</button>" not in refused.split("<main")[1]
    assert QuotaQuestion.objects.get(forum=forum, key="ethnicity").special_category

    marked = officer_client.post(change("gender"), {"special_category": "yes", "erase_earlier_answers": "on"})
    assert marked.status_code == 302
    assert QuotaQuestion.objects.get(forum=forum, key="gender").special_category
    notice = html.unescape(client.get(url("privacy", forum)).content.decode())
    assert "<li>What is your gender?</li>" in notice.split("for sensitive information")[1]
    with pytest.raises(quotas.QuestionInUse):
        quotas.mark_special_category(QuotaQuestion.objects.get(forum=forum, key="gender"), officer, False)

    ward = QuotaQuestion.objects.get(forum=forum, from_address=True)
    ward_change = reverse(
        "recruitment:question_special_category", kwargs={"forum_slug": forum.slug, "question_id": ward.pk}
    )
    assert officer_client.get(ward_change).status_code == 404  # answered from the address, never asked


def test_a_question_asking_for_special_category_data_always_offers_prefer_not_to_say(
    signed_in_client: Any, client: Any, forum: Any, officer: Any
) -> None:
    """Without 'Prefer not to say', nobody could register without giving their religion or health, while
    the privacy notice said they could decline."""
    posted = {"action": "add", "label": "What is your religion?", "categories": "None\nChristian"}
    added = signed_in_client(officer).post(url("questions", forum), {**posted, "special_category": "yes"})
    assert added.status_code == 302
    religion = QuotaQuestion.objects.get(forum=forum)
    assert religion.allow_prefer_not_to_say
    assert [option.label for option in quotas.answer_options(religion)][-1] == "Prefer not to say"
    notice = html.unescape(client.get(url("privacy", forum)).content.decode())
    assert "You do not have to give it to register: you can choose ‘Prefer not to say’." in notice


def test_the_add_form_says_prefer_not_to_say_is_offered_for_special_category_questions(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """The box stayed unticked for a question asking for special category data, which offers 'Prefer not
    to say' all the same: the form now shows it ticked when it comes back, its hint says so, and a
    question saved unticked is said to offer it (no JavaScript needed)."""
    client = signed_in_client(officer)

    def checkbox(page: str) -> str:
        return re.search(r'<input[^>]*name="allow_prefer_not_to_say"[^>]*>', page).group(0)

    empty = client.get(url("questions", forum)).content.decode()
    assert "checked" not in checkbox(empty)
    assert "Always offered, ticked or not, when the question asks for special category data" in empty
    religion = {"action": "add", "label": "What is your religion?", "categories": "None\nChristian"}
    suggested = client.post(url("questions", forum), religion).content.decode()  # the wording suggests yes
    assert "checked" in checkbox(suggested)
    with_error = client.post(
        url("questions", forum), {**religion, "categories": "", "special_category": "yes"}
    )
    assert "checked" in checkbox(with_error.content.decode())

    saved = client.post(url("questions", forum), {**religion, "special_category": "yes"}, follow=True)
    assert "‘Prefer not to say’ is offered for ‘What is your religion?’" in html.unescape(
        saved.content.decode()
    )
    assert QuotaQuestion.objects.get(forum=forum).allow_prefer_not_to_say
    age = {
        "action": "add",
        "label": "How old are you?",
        "categories": "16 to 29\n30 plus",
        "special_category": "no",
    }
    plain = client.post(url("questions", forum), age, follow=True).content.decode()
    assert "Questions saved" in plain and "Prefer not to say’ is offered" not in html.unescape(plain)


def test_a_question_marked_special_once_people_have_registered_offers_prefer_not_to_say(
    pool: Any, officer: Any
) -> None:
    """One more answer changes none already given."""
    gender = QuotaQuestion.objects.get(forum=pool[0].forum, key="gender")
    assert not gender.allow_prefer_not_to_say
    quotas.mark_special_category(gender, officer, True, erase_earlier_answers=True)
    assert QuotaQuestion.objects.get(pk=gender.pk).allow_prefer_not_to_say


def test_marking_a_question_people_answered_unmarked_erases_their_answers_once_the_officer_ticks(
    signed_in_client: Any, client: Any, pool: Any, officer: Any
) -> None:
    """People who answered a question before it was marked as asking for special category data were never
    told, so gave no explicit consent (UK GDPR art. 9) to it. Marking it then asks the officer to tick
    that their answers are erased, saying why and how the quotas count them; nothing changes until they
    do. Ticked, the answers become 'Prefer not to say', their other answers stay, the audit log says how
    many were erased, and the notice names the question for everyone registering from then on."""
    from civicforum.recruitment.models import Respondent

    forum = pool[0].forum
    gender = QuotaQuestion.objects.get(forum=forum, key="gender")
    answered = quotas.answered_unmarked(gender)
    assert answered > 0
    change = reverse(
        "recruitment:question_special_category", kwargs={"forum_slug": forum.slug, "question_id": gender.pk}
    )
    officer_client = signed_in_client(officer)
    before = {r.pk: dict(r.answers) for r in Respondent.objects.filter(forum=forum)}

    asked = html.unescape(officer_client.post(change, {"special_category": "yes"}).content.decode())
    assert "<title>Error: " in asked
    assert f"Erase the answers {answered} people gave to this question before it was marked" in asked
    assert "did not give the explicit consent UK GDPR (article 9) needs to keep those answers" in asked
    assert asked.count("Tick to erase the answers given before the question was marked, or answer No") == 2
    assert not QuotaQuestion.objects.get(pk=gender.pk).special_category
    assert {r.pk: r.answers for r in Respondent.objects.filter(forum=forum)} == before
    with pytest.raises(quotas.QuestionInUse, match=f"{answered} people have answered this question"):
        quotas.mark_special_category(gender, officer, True)

    ticked = officer_client.post(change, {"special_category": "yes", "erase_earlier_answers": "on"})
    assert ticked.status_code == 302
    assert QuotaQuestion.objects.get(pk=gender.pk).special_category
    after = {r.pk: r.answers for r in Respondent.objects.filter(forum=forum)}
    assert after == {pk: {**answers, "gender": ""} if answers else answers for pk, answers in before.items()}
    assert quotas.answered_unmarked(QuotaQuestion.objects.get(pk=gender.pk)) == 0
    assert AuditEvent.objects.get(
        action="recruitment.quota_question_marked", target_id=str(gender.pk)
    ).details == {"special_category": True, "earlier_answers_erased": answered}
    notice = html.unescape(client.get(url("privacy", forum)).content.decode())
    assert "<li>What is your gender?</li>" in notice.split("for sensitive information")[1]


def test_the_django_admin_shows_whether_a_question_is_special_category_but_cannot_change_it(
    signed_in_client: Any, forum: Any, user_with_role: Any
) -> None:
    """The site's administration let a superuser switch the mark either way, past the officer's page that
    refuses unmarking once anyone registered and erases the answers given before marking."""
    question = add(forum, None, "What is your religion?", special_category=True)
    client = signed_in_client(user_with_role("superuser", forum))
    page = client.get(reverse("admin:recruitment_quotaquestion_change", args=[question.pk])).content.decode()
    assert "Special category" in page and 'name="special_category"' not in page
