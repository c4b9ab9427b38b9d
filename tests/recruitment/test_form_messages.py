"""One clear GOV.UK message per field: a box that is too long says only that, whatever else is wrong."""

from typing import Any

import pytest
from django.urls import reverse
from tests.recruitment.conftest import close_registration

from civicforum.processes.forms import NewAccountForm
from civicforum.recruitment import forms
from civicforum.recruitment.models import Invitation
from civicforum.recruitment.services import civic_lottery

pytestmark = pytest.mark.django_db

# 64 + 1 + 4 * 62 + 10 = 323 characters, each part well formed: only its length is wrong.
LONG_EMAIL = "a" * 64 + "@" + ("b" * 61 + ".") * 4 + "example.uk"


def test_an_email_address_too_long_gets_one_message_naming_the_field() -> None:
    assert len(LONG_EMAIL) > 320
    for typed in (LONG_EMAIL, "x" * 400):
        form = forms.ContactForm({"email": typed})
        assert form.errors["email"] == ["Email address must be 320 characters or fewer"]
    account = NewAccountForm({"first_name": "Ada", "last_name": "L", "email": LONG_EMAIL, "role": "officer"})
    assert account.errors["email"] == ["Email address must be 150 characters or fewer"]


def test_a_reply_by_date_too_long_and_on_two_lines_gets_one_message() -> None:
    form = forms.PanelInvitationForm({"reply_by": "18 December\n" + "2026 " * 20})
    assert form.errors["reply_by"] == ["Reply by must be 40 characters or fewer"]


def test_a_reply_by_date_the_panel_letters_cannot_print_whole_is_refused() -> None:
    """The panel letters' box prints "Tell us by <date> whether you can take part." on one line: a date of
    60 characters was cut short there with "…". The letters to the households keep 60 (in their text)."""
    long_date = "Wednesday 30 September 2026, by 5pm at the latest"
    assert forms.PanelInvitationForm({"reply_by": long_date}).errors["reply_by"] == [
        "Reply by must be 40 characters or fewer"
    ]
    assert forms.PanelInvitationForm({"reply_by": "Wednesday 30 September 2026 at 12 noon"}).is_valid()
    letter = forms.LetterForm({"heading": "Join $forum", "body": "Dear resident", "reply_by": long_date})
    assert "reply_by" not in letter.errors


def test_phone_registration_shows_the_long_email_once_in_the_summary_and_once_at_the_box(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    client = signed_in_client(officer)
    client.get(reverse("recruitment:phone_registration", args=[recruiting_forum.slug]))
    invitation = Invitation.objects.filter(lottery__forum=recruiting_forum).first()
    code = civic_lottery.issue_code(invitation)
    step = "recruitment:register_step"
    for name, data in [("code", {"code": code}), ("age", {"answer": "yes"}), ("area", {"answer": "yes"})]:
        client.post(reverse(step, args=[recruiting_forum.slug, name]), data)
    client.post(reverse(step, args=[recruiting_forum.slug, "name"]), {"full_name": "Edith Clarke"})
    page = client.post(reverse(step, args=[recruiting_forum.slug, "contact"]), {"email": LONG_EMAIL})
    text = page.content.decode()
    assert text.count("Email address must be 320 characters or fewer") == 2  # the summary and the box
    assert "correct format" not in text


def test_each_quota_error_links_to_its_box_which_shows_it_and_keeps_what_was_typed(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    from civicforum.recruitment.models import QuotaCategory

    woman = QuotaCategory.objects.get(question__forum=recruiting_forum, key="woman")
    man = QuotaCategory.objects.get(question__forum=recruiting_forum, key="man")
    posted = {"action": "save", f"min-{woman.pk}": "three", f"min-{man.pk}": "7", f"max-{man.pk}": "5"}
    response = signed_in_client(officer).post(
        reverse("recruitment:quotas", args=[recruiting_forum.slug]), posted
    )
    page = response.content.decode()
    not_whole = "Minimum for Woman (What is your gender?) must be a whole number from 0 to 12"
    above_max = "Minimum for Man (What is your gender?) must not be more than the maximum, 5"
    summary = page[page.index("There is a problem") : page.index("<h1")]
    assert f'<a href="#min-{woman.pk}">{not_whole}</a>' in summary
    assert f'<a href="#min-{man.pk}">{above_max}</a>' in summary
    for box, typed, message in ((f"min-{woman.pk}", "three", not_whole), (f"min-{man.pk}", "7", above_max)):
        assert (
            f'<p class="govuk-error-message" id="{box}-error">'
            f'<span class="govuk-visually-hidden">Error:</span> {message}</p>' in page
        )
        assert (
            f'<input class="govuk-input govuk-input--width-3 govuk-input--error" id="{box}" name="{box}" '
            f'inputmode="numeric" value="{typed}" aria-describedby="{box}-error">' in page
        )
    assert page.count("govuk-input--error") == 2
    assert QuotaCategory.objects.get(pk=man.pk).min_members is None  # nothing saved


def test_a_quota_of_thousands_of_digits_is_an_error_on_the_page_not_a_server_error(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    from civicforum.recruitment.models import QuotaCategory

    woman = QuotaCategory.objects.get(question__forum=recruiting_forum, key="woman")
    url = reverse("recruitment:quotas", args=[recruiting_forum.slug])
    response = signed_in_client(officer).post(url, {"action": "save", f"max-{woman.pk}": "9" * 5000})
    assert response.status_code == 200
    assert (
        "Maximum for Woman (What is your gender?) must be a whole number from 0 to 12"
        in response.content.decode()
    )


def test_a_deletion_date_in_the_past_is_refused_before_the_purge_erases_the_pool(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    yesterday = timezone.localdate() - timedelta(days=1)
    url = reverse("recruitment:settings", args=[recruiting_forum.slug])
    data = {"adults_per_household": "2", "session_dates": "Saturday 6 March 2027"}
    typed = {"retention_until_0": yesterday.day, "retention_until_1": yesterday.month}
    page = signed_in_client(officer).post(url, data | typed | {"retention_until_2": yesterday.year})
    assert page.status_code == 200
    message = "The date to delete registration data must be today or in the future"
    assert page.content.decode().count(message) == 2
    recruiting_forum.recruitment.refresh_from_db()
    assert recruiting_forum.recruitment.retention_until is None
    # A date already passed (the data was deleted then) does not stop the officer changing other settings.
    type(recruiting_forum.recruitment).objects.filter(pk=recruiting_forum.recruitment.pk).update(
        retention_until=yesterday
    )
    again = signed_in_client(officer).post(
        url, data | typed | {"retention_until_2": yesterday.year, "phone": "01632 960 123"}
    )
    assert again.status_code == 302


def test_a_deletion_date_before_the_forum_ends_is_refused_and_the_hint_says_when_it_ends(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """Deleting the registrations while the panel still meets would lose the members' contact details."""
    from datetime import timedelta

    ends_on = recruiting_forum.ends_on
    ends = f"{ends_on:%-d %B %Y}"
    client = signed_in_client(officer)
    url = reverse("recruitment:settings", args=[recruiting_forum.slug])
    assert f"The forum ends on {ends}: choose that day or later" in client.get(url).content.decode()
    data = {"adults_per_household": "2", "session_dates": "Saturday 6 March 2027"}
    early = ends_on - timedelta(days=1)
    typed = {
        "retention_until_0": early.day,
        "retention_until_1": early.month,
        "retention_until_2": early.year,
    }
    page = client.post(url, data | typed)
    assert page.status_code == 200
    message = (
        f"The date to delete registration data must be on or after {ends}, when the forum ends: "
        "the panel’s contact details are needed until then"
    )
    assert page.content.decode().count(message) == 2  # in the error summary and above the date boxes
    recruiting_forum.recruitment.refresh_from_db()
    assert recruiting_forum.recruitment.retention_until is None
    on_the_day = {"retention_until_0": ends_on.day, "retention_until_1": ends_on.month}
    assert client.post(url, data | on_the_day | {"retention_until_2": ends_on.year}).status_code == 302
    recruiting_forum.recruitment.refresh_from_db()
    assert recruiting_forum.recruitment.retention_until == ends_on


def test_the_deletion_dates_hint_suggests_a_date_the_form_accepts_once_the_forum_has_ended(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """For a forum that had ended, the hint's example (90 days after the end) was in the past, and the
    form refused it: 'must be today or in the future'."""
    import re
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    recruiting_forum.starts_on = today - timedelta(days=400)
    recruiting_forum.ends_on = today - timedelta(days=200)
    recruiting_forum.save()
    client = signed_in_client(officer)
    url = reverse("recruitment:settings", args=[recruiting_forum.slug])
    hint = client.get(url).content.decode()
    found = re.search(r"for example (\d+) (\d+) (\d{4})", hint)
    assert found is not None
    typed = {f"retention_until_{i}": part for i, part in enumerate(found.groups())}
    data = {"adults_per_household": "2", "session_dates": "Saturday 6 March 2027"}
    assert client.post(url, data | typed).status_code == 302
    recruiting_forum.recruitment.refresh_from_db()
    assert recruiting_forum.recruitment.retention_until == today + timedelta(days=90)
    assert f"The forum ended on {recruiting_forum.ends_on:%-d %B %Y}: choose today or later" in hint


def test_the_forum_cannot_be_made_to_end_after_its_registration_data_is_deleted(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    from datetime import timedelta

    from tests.web.test_forum_pages import valid_form_data
    from tests.web.test_stage_order import typed

    from civicforum.recruitment.models import RecruitmentSettings

    deleted_on = recruiting_forum.ends_on + timedelta(days=30)
    RecruitmentSettings.objects.filter(forum=recruiting_forum).update(retention_until=deleted_on)
    url = reverse("processes:forum_edit", kwargs={"forum_slug": recruiting_forum.slug})
    dates = typed("starts_on", recruiting_forum.starts_on) | typed("ends_on", deleted_on + timedelta(days=1))
    page = signed_in_client(officer).post(url, valid_form_data(panel_size="12", stages=["design"], **dates))
    message = (
        f"End date must be on or before {deleted_on:%-d %B %Y}, when registration data is deleted: change "
        "the date to delete registration data in the recruitment settings first"
    )
    assert page.content.decode().count(message) == 2
    dates |= typed("ends_on", deleted_on)
    response = signed_in_client(officer).post(
        url, valid_form_data(panel_size="12", stages=["design"], **dates)
    )
    assert response.status_code == 302
    recruiting_forum.refresh_from_db()
    assert recruiting_forum.ends_on == deleted_on


def test_population_shares_adding_up_to_more_than_the_whole_population_are_refused() -> None:
    form = forms.QuotaQuestionForm({"label": "Tenure", "categories": "Owner | 60%\nRenter | 45%"})
    assert form.errors["categories"] == [
        "The population shares add up to 105%: check them, together they must be 100% or less"
    ]
    rounded = forms.QuotaQuestionForm({"label": "Tenure", "categories": "A | 33.4%\nB | 33.4%\nC | 33.4%"})
    assert rounded.is_valid()  # rounding each share up can pass 100% a little


def test_a_share_for_every_answer_adding_up_to_less_than_the_whole_population_is_refused() -> None:
    """Woman 30% and Man 30% were accepted, then the proposed quotas could not fill the panel."""
    form = forms.QuotaQuestionForm({"label": "Sex", "categories": "Woman | 30%\nMan | 30%"})
    assert form.errors["categories"] == [
        "The population shares add up to 60%: check them, every answer has a share, so together they "
        "must make 100% (99% to 101% allows for rounding)"
    ]
    rounded = forms.QuotaQuestionForm({"label": "Tenure", "categories": "A | 33.3%\nB | 33.3%\nC | 33.3%"})
    assert rounded.is_valid()  # rounding each share down can fall short of 100% a little
    some = forms.QuotaQuestionForm({"label": "Tenure", "categories": "Owner | 30%\nRenter | 30%\nOther"})
    assert some.is_valid()  # the answer without a share may be the other 40%


def test_more_letters_than_addresses_says_how_many_can_be_drawn(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    address_list = recruiting_forum.address_lists.get()
    url = reverse("recruitment:draw_lottery", args=[recruiting_forum.slug])
    typed = {"address_list": address_list.pk, "letters": "99999", "adults_per_household": "2"}
    page = signed_in_client(officer).post(url, typed).content.decode()
    # The fixture's lottery already drew 200 of the 400 addresses; they are not drawn again.
    expected = "Number of letters must be 200 or fewer: the other addresses in the list already have a letter"
    assert page.count(expected) == 2


def test_more_letters_to_deprived_areas_is_refused_for_a_list_without_deprivation_deciles(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """The box changed nothing for such a list, yet the letters page said the draw had used it."""
    csv = b"uprn,address_line_1,postcode,ward\n" + b"".join(
        b"%d,%d Park Road,NM1 1AB,Parkside\n" % (i, i) for i in range(1, 21)
    )
    address_list = civic_lottery.import_addresses(forum, officer, csv, "parks.csv")
    client = signed_in_client(officer)
    url = reverse("recruitment:draw_lottery", args=[forum.slug])
    typed = {"address_list": address_list.pk, "letters": "10", "oversample_deprived": "on"}
    page = client.post(url, typed).content.decode()
    expected = (
        "The address list ‘parks.csv’ has no addresses in deprivation decile 1 or 2, so no area can get more "
        "letters. Untick this, or upload the list with a deprivation_decile column"
    )
    assert page.count(expected) == 2 and not forum.lotteries.exists()
    drawn = client.post(url, {"address_list": address_list.pk, "letters": "10"}, follow=True)
    assert "More letters to deprived areas" in drawn.content.decode()
    assert forum.lotteries.get().decile_weights in ({}, None)


def test_a_logo_that_is_not_an_image_and_an_empty_file_are_named_in_govuk_words() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    letter = {"heading": "Join $forum", "body": "Dear resident", "reply_by": "4 December 2026"}
    logo = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")
    assert forms.LetterForm(letter, {"logo": logo}).errors["logo"] == [
        "The council logo must be a PNG or JPEG"
    ]
    empty = SimpleUploadedFile("addresses.csv", b"", content_type="text/csv")
    assert forms.UploadForm({}, {"file": empty}).errors["file"] == ["The selected file is empty"]


def test_a_logo_too_many_pixels_across_is_refused_saying_its_size() -> None:
    """A plain image of 3,001 x 10 pixels is a few hundred bytes as a PNG, under the 500 KB limit."""
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    def png(width: int, height: int) -> SimpleUploadedFile:
        data = BytesIO()
        Image.new("RGB", (width, height), "white").save(data, "PNG")
        return SimpleUploadedFile("logo.png", data.getvalue(), content_type="image/png")

    letter = {"heading": "Join $forum", "body": "Dear resident", "reply_by": "4 December 2026"}
    assert forms.LetterForm(letter, {"logo": png(3001, 10)}).errors["logo"] == [
        "The logo must be at most 3,000 pixels wide and high (it is 3,001 by 10); make it smaller in an "
        "image editor"
    ]
    assert "logo" not in forms.LetterForm(letter, {"logo": png(3000, 10)}).errors


def test_the_selection_methods_each_say_what_they_do(signed_in_client: Any, pool: Any, officer: Any) -> None:
    url = reverse("recruitment:start_selection", args=[pool[0].forum.slug])
    page = signed_in_client(officer).get(url).content.decode()
    assert "Selection method" in page
    for hint in (
        "as equal a chance of being selected as the quotas allow",
        "For comparison only: some volunteers get almost no chance",
    ):
        assert hint in page
    form = forms.RunForm({"seed": ""})
    assert form.errors["algorithm"] == ["Select a selection method"]


def test_replacements_are_not_drawn_when_nobody_has_declined(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    from civicforum.recruitment.models import SelectionRun

    close_registration(recruiting_forum)
    url = reverse("recruitment:start_selection", args=[recruiting_forum.slug])
    client = signed_in_client(officer)
    message = "Nobody on the panel has declined, so there are no places to fill"
    assert message in client.get(url + "?replacements=1").content.decode()
    response = client.post(url, {"replacements": "1", "algorithm": "leximin", "seed": ""})
    assert response.status_code == 200 and message in response.content.decode()
    assert not SelectionRun.objects.exists()


@pytest.mark.parametrize("typed", ["call me maybe", "0", "07700 900", "01632 960 123 ext 4"])
def test_a_phone_number_that_is_not_one_is_refused_before_it_is_printed_or_kept(typed: str) -> None:
    message = "Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"
    assert forms.RecruitmentSettingsForm({"adults_per_household": "2", "phone": typed}).errors["phone"] == [
        message
    ]
    assert forms.ContactForm({"phone": typed}).errors["phone"] == [message]


@pytest.mark.parametrize("typed", ["01632 960 001", "+44 (0)808 157-0192", "07700900982"])
def test_phone_numbers_as_people_write_them_are_accepted(typed: str) -> None:
    assert "phone" not in forms.RecruitmentSettingsForm({"adults_per_household": "2", "phone": typed}).errors
    assert forms.ContactForm({"phone": typed}).is_valid()


def test_the_quotas_page_remembers_the_members_either_side_it_proposed_with(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    client = signed_in_client(officer)
    url = reverse("recruitment:quotas", args=[recruiting_forum.slug])
    assert client.post(url, {"action": "propose", "slack": "3"}).status_code == 302
    assert 'name="slack" value="3"' in client.get(url).content.decode()


def test_a_misspelt_placeholder_in_the_letter_is_refused_before_it_is_printed_on_every_letter() -> None:
    form = forms.LetterForm(
        {"heading": "Join $froum", "body": "Dear $counsil resident, £25 or $5", "reply_by": "4 May"}
    )
    assert form.errors["heading"] == [
        "Heading uses $froum, which is not a placeholder: use $council, $forum, $url, $adults, $households "
        "or $reply_by"
    ]
    assert form.errors["body"] == [
        "The letter's text uses $counsil, which is not a placeholder: use $council, $forum, $url, $adults, "
        "$households or $reply_by"
    ]
    assert forms.LetterForm(
        {"heading": "Join ${forum}", "body": "$council: $$5, $url", "reply_by": "4 May"}
    ).is_valid()


def test_the_logo_hint_is_true_and_a_logo_lost_to_another_error_must_be_chosen_again(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from civicforum.recruitment.models import RecruitmentSettings

    def logo() -> SimpleUploadedFile:
        png = io.BytesIO()
        Image.new("RGB", (40, 20), "navy").save(png, "PNG")
        return SimpleUploadedFile("logo.png", png.getvalue(), content_type="image/png")

    client = signed_in_client(officer)
    url = reverse("recruitment:lottery", args=[recruiting_forum.slug, recruiting_forum.lotteries.get().pk])
    keep = "Leave empty to keep the current logo"
    assert keep not in client.get(url).content.decode()  # there is no logo to keep yet
    refused = client.post(url, {"heading": "", "body": "Dear resident", "reply_by": "4 May", "logo": logo()})
    again = "Choose the council logo again: it was not saved because of the other errors on this page"
    assert refused.content.decode().count(again) == 2  # the error summary and the field
    assert not RecruitmentSettings.objects.get(forum=recruiting_forum).logo
    too_long = {"heading": "Join $forum", "body": "Dear resident\n" * 200, "reply_by": "4 May"}
    page = client.post(url, {**too_long, "logo": logo()}).content.decode()
    assert "govuk-error-summary" in page and again not in page  # the letter's length was checked with it
    assert RecruitmentSettings.objects.get(forum=recruiting_forum).logo
    assert keep in page and keep in client.get(url).content.decode()


def test_a_panel_smaller_than_the_members_chosen_or_a_question_s_minimums_is_refused_saying_why(
    signed_in_client: Any, recruiting_forum: Any, officer: Any, pool: Any
) -> None:
    from tests.recruitment.conftest import publish_selection
    from tests.web.test_forum_pages import valid_form_data

    from civicforum.recruitment.models import MemberStatus, QuotaCategory
    from civicforum.recruitment.services import selection

    publish_selection(recruiting_forum, officer, "panel-size")  # 12 members, as many as the panel
    client = signed_in_client(officer)
    url = reverse("processes:forum_edit", kwargs={"forum_slug": recruiting_forum.slug})
    page = client.post(url, valid_form_data(panel_size="11")).content.decode()
    assert page.count("Panel size must be at least 12: 12 residents are already on the panel") == 2
    assert "<title>Error: " in page
    selection.set_member_status(recruiting_forum.panel_members.first(), MemberStatus.DECLINED, officer)
    limits = QuotaCategory.objects.filter(question__forum=recruiting_forum)
    limits.filter(max_members__gt=11).update(max_members=11)  # the quotas proposed for 12 allowed 12
    assert client.post(url, valid_form_data(panel_size="11")).status_code == 302
    recruiting_forum.quota_questions.get(key="ward").categories.update(min_members=7)
    page = client.post(url, valid_form_data(panel_size="13")).content.decode()
    assert (
        page.count(
            "Panel size must be at least 14: the minimums for ‘Ward’ add up to 14 "
            "(North Ward 7, South Ward 7). Lower the quotas on the quotas page first, "
            "or keep the panel size of 11"
        )
        == 2
    )
    assert client.post(url, valid_form_data(title="Renamed", panel_size="11")).status_code == 302  # unchanged
    assert client.post(url, valid_form_data(panel_size="14")).status_code == 302


def test_a_panel_size_below_a_saved_quota_is_refused_naming_each_quota_and_nothing_is_saved(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    from tests.web.test_forum_pages import valid_form_data

    from civicforum.recruitment.models import QuotaCategory

    categories = QuotaCategory.objects.filter(question__forum=recruiting_forum)
    categories.filter(key="woman").update(min_members=5, max_members=10)
    categories.filter(key="man").update(max_members=9)
    client = signed_in_client(officer)
    url = reverse("processes:forum_edit", kwargs={"forum_slug": recruiting_forum.slug})
    title = recruiting_forum.title
    page = client.post(url, valid_form_data(panel_size="8", title="Renamed")).content.decode()
    refusal = (
        "Panel size must be at least 10: maximum for Woman (What is your gender?) is 10; "
        "maximum for Man (What is your gender?) is 9. "
        "Lower the quotas on the quotas page first, or keep the panel size of 12"
    )
    assert page.count(refusal) == 2  # the error summary and the field
    recruiting_forum.refresh_from_db()
    assert (recruiting_forum.panel_size, recruiting_forum.title) == (12, title)
    page = client.post(url, valid_form_data(panel_size="4")).content.decode()
    assert (
        "maximum for Man (What is your gender?) is 9; minimum for Woman (What is your gender?) is 5." in page
    )
    assert client.post(url, valid_form_data(panel_size="10")).status_code == 302


def test_a_list_whose_every_address_has_had_a_letter_says_so_not_to_draw_0_or_fewer(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """A list uploaded again after a draw of all of it asked for '0 or fewer' letters, which the box
    refuses (at least 1): the officer was left with no way to do what the page said."""
    drawn = recruiting_forum.lotteries.get()
    data = b"uprn,address_line_1,postcode,ward\n" + b"".join(
        b"%s,1 Park Road,NM1 1AB,Parkside\n" % invitation.address.uprn.encode()
        for invitation in drawn.invitations.select_related("address")[:5]
    )
    again = civic_lottery.import_addresses(recruiting_forum, officer, data, "again.csv")
    url = reverse("recruitment:draw_lottery", args=[recruiting_forum.slug])
    page = signed_in_client(officer).post(url, {"address_list": again.pk, "letters": "1"}).content.decode()
    expected = (
        "Every address in the list ‘again.csv’ already has a letter from an earlier draw, so no more can be "
        "drawn from it. Choose another list, or upload one with addresses that have not had a letter"
    )
    assert page.count(expected) == 2 and "0 or fewer" not in page
    assert recruiting_forum.lotteries.count() == 1


def test_the_letters_words_are_printed_without_characters_that_do_not_show() -> None:
    """The heading, body and reply-by date go on every letter: a pasted right-to-left override printed
    them reversed, and a control character as a box."""
    letter = {
        "heading": "Join \u202e$forum\u202c",
        "body": "Dear resident,\r\n\r\nPlease\x07 reply.",
        "reply_by": "4 December\x1b 2026",
    }
    form = forms.LetterForm(letter)
    assert form.is_valid(), form.errors
    assert [form.cleaned_data[name] for name in letter] == [
        "Join $forum",
        "Dear resident,\n\nPlease reply.",
        "4 December 2026",
    ]
    assert forms.LetterForm(letter | {"reply_by": "4 December\n2026"}).errors["reply_by"] == [
        "Reply by must be on one line, for example 18 December 2026"
    ]
