import csv
import html
import io
import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from tests.recruitment.conftest import (
    SEND_INVITATIONS,
    add_age_question,
    address_csv,
    close_registration,
    draw_panel,
    invite_and_send,
    mark_invited,
    open_registration,
    publish_selection,
    run_selection,
    staff_url,
)

from civicforum.core.models import AuditEvent
from civicforum.recruitment import forms
from civicforum.recruitment.models import Invitation, RecruitmentSettings, Respondent
from civicforum.recruitment.services import civic_lottery, quotas

pytestmark = pytest.mark.django_db


def test_officer_uploads_draws_and_generates_letters(signed_in_client: Any, forum: Any, officer: Any) -> None:
    client = signed_in_client(officer)
    bad = client.post(staff_url("upload_addresses", forum), {"file": _upload(b"uprn,postcode\n1,x\n")})
    assert "column &#x27;address_line_1&#x27;" in bad.content.decode()
    response = client.post(staff_url("upload_addresses", forum), {"file": _upload(address_csv(50))})
    assert response.status_code == 302
    address_list = forum.address_lists.get()
    response = client.post(
        staff_url("draw_lottery", forum),
        {
            "address_list": address_list.pk,
            "letters": 20,
            "adults_per_household": 2,
            "oversample_deprived": "on",
        },
    )
    lottery = forum.lotteries.get()
    assert response.url == staff_url("lottery", forum, lottery_id=lottery.pk)
    letter = {"heading": "Join $forum", "body": "Dear resident,\n\nPlease register.", "reply_by": "1 May"}
    # The letters print the phone number for registering by phone: without one, they are not generated.
    refused = client.post(response.url, letter).content.decode()
    assert "No phone number for registering by phone is set" in refused
    assert staff_url("settings", forum) in refused and "Generate letters" not in refused
    lottery.refresh_from_db()
    assert lottery.letters_status == "not_started"
    RecruitmentSettings.objects.update_or_create(forum=forum, defaults={"phone": "01632 960000"})
    preview = client.post(response.url, {**letter, "action": "preview"})
    assert preview["Content-Type"] == "application/pdf" and preview.content.count(b"/Type /Page ") == 1
    lottery.refresh_from_db()
    assert lottery.letters_status == "not_started"
    response = client.post(response.url, letter)
    lottery.refresh_from_db()
    assert lottery.letters_status == "ready" and lottery.letters_done == 20
    download = client.get(staff_url("lottery_file", forum, lottery_id=lottery.pk, kind="letters.pdf"))
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="recruitment.letters_downloaded").count() == 1


def test_the_letters_page_says_when_a_ward_got_every_address_before_its_weighted_share(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """With more letters to deprived areas, a small deprived ward can have fewer addresses than its
    weighted share: every one of them got a letter, the other wards the rest, and nothing said so."""
    rows = ["uprn,address_line_1,postcode,ward,deprivation_decile"]
    rows += [f"{100 + i},{i} Low Road,NM1 1AB,Greystone,1" for i in range(2)]  # weight 2 each
    rows += [f"{200 + i},{i} High Road,NM1 2AB,Abbey,9" for i in range(45)]  # weight 1 each
    client = signed_in_client(officer)
    client.post(staff_url("upload_addresses", forum), {"file": _upload(("\n".join(rows) + "\n").encode())})
    address_list = forum.address_lists.get()
    pages = []
    for letters in (10, 30):
        drawn = client.post(
            staff_url("draw_lottery", forum),
            {"address_list": address_list.pk, "letters": letters, "oversample_deprived": "on"},
        )
        pages.append(drawn.url)
    first, second = forum.lotteries.order_by("pk")
    # Greystone's shares: 10 x 4 / 49 = 0.8 of its 2 addresses, then 30 x 2 / 38 = 1.6 of the 1 left.
    assert first.letters_per_ward == {"Abbey": 9, "Greystone": 1}
    assert second.letters_per_ward == {"Abbey": 29, "Greystone": 1}
    shown = [" ".join(client.get(url).content.decode().split()) for url in pages]
    assert "now has a letter" not in shown[0]
    assert (
        "Every address in Greystone now has a letter, so that ward got fewer letters than its share"
        in shown[1]
    )


def test_a_list_uploaded_by_mistake_can_be_removed_but_not_one_letters_were_drawn_from(
    signed_in_client: Any, forum: Any, officer: Any, user_with_role: Any
) -> None:
    """A list uploaded by mistake (the wrong area) stayed in the draw's choice of lists for good."""
    from civicforum.recruitment.models import Address

    client = signed_in_client(officer)
    for name, count in (("wrong-area.csv", 30), ("area.csv", 50)):
        client.post(staff_url("upload_addresses", forum), {"file": _upload(address_csv(count), name)})
    wrong, right = (
        forum.address_lists.get(filename="wrong-area.csv"),
        forum.address_lists.get(filename="area.csv"),
    )
    client.post(staff_url("draw_lottery", forum), {"address_list": right.pk, "letters": 10})
    page = " ".join(client.get(staff_url("upload_addresses", forum)).content.decode().split())
    remove_wrong = staff_url("remove_address_list", forum, list_id=wrong.pk)
    assert f'action="{remove_wrong}"' in page
    assert staff_url("remove_address_list", forum, list_id=right.pk) not in page  # drawn from: kept

    removed = client.post(remove_wrong, follow=True).content.decode()
    assert "‘wrong-area.csv’ removed, with its addresses" in removed
    assert list(forum.address_lists.all()) == [right]
    assert not Address.objects.filter(address_list_id=wrong.pk).exists()
    event = AuditEvent.objects.get(action="recruitment.addresses_removed")
    assert event.details == {"file": "wrong-area.csv", "count": 30}
    kept = client.post(
        staff_url("remove_address_list", forum, list_id=right.pk), follow=True
    ).content.decode()
    assert "Letters were drawn from ‘area.csv’, so it is kept" in kept
    assert forum.address_lists.filter(pk=right.pk).exists()
    client.post(staff_url("upload_addresses", forum), {"file": _upload(address_csv(5), "another.csv")})
    another = staff_url(
        "remove_address_list", forum, list_id=forum.address_lists.get(filename="another.csv").pk
    )
    facilitator = signed_in_client(user_with_role("facilitator", forum))
    assert facilitator.post(another).status_code == 403


def test_one_address_is_not_called_addresses(signed_in_client: Any, forum: Any, officer: Any) -> None:
    client = signed_in_client(officer)
    upload = {"file": _upload(address_csv(1))}
    imported = client.post(staff_url("upload_addresses", forum), upload, follow=True)
    page = imported.content.decode()
    assert "1 address imported" in page and "addresses.csv (1 address)</option>" in page
    assert "1 addresses" not in page
    address_list = forum.address_lists.get()
    drawn = client.post(
        staff_url("draw_lottery", forum),
        {"address_list": address_list.pk, "letters": 1, "adults_per_household": 2},
        follow=True,
    )
    assert "1 address drawn with seed" in drawn.content.decode()
    assert "lottery of 1 address</a>" in client.get(staff_url("overview", forum)).content.decode()


def test_after_an_upload_the_officer_sees_each_ward_and_its_addresses(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """Letters are shared out per ward, and the officer was told only '3 addresses imported': a ward
    misspelt in a few rows went unseen."""
    data = b"uprn,address_line_1,postcode,ward\n1,1 A St,NM1 2AB,Eastbrook\n2,2 A St,NM1 2AB,eastbrook \n"
    data += b"3,3 A St,NM1 2AB,Eastbrok\n"
    imported = signed_in_client(officer).post(
        staff_url("upload_addresses", forum), {"file": _upload(data)}, follow=True
    )
    page = imported.content.decode()
    assert "3 addresses imported in 2 wards" in page
    cells = re.findall(r'<td class="govuk-table__cell[^"]*">([^<]*)</td>', page)
    assert cells == ["Eastbrok", "1", "Eastbrook", "2"]
    assert "Wards in addresses.csv" in page and "a name mistyped in the file" in page


@pytest.mark.parametrize(
    ("page_name", "action"), [("upload_addresses", {}), ("quotas", {"action": "import"})]
)
def test_a_refused_upload_is_a_gov_uk_error_summary_linking_to_the_file_box(
    signed_in_client: Any, recruiting_forum: Any, officer: Any, page_name: str, action: dict[str, str]
) -> None:
    """The problems were plain text under 'The file was not imported', each repeating the file name, with
    no link to the file box and the box not marked as in error."""
    client = signed_in_client(officer)
    url = staff_url(page_name, recruiting_forum)
    one = client.post(url, {**action, "file": _upload(b"PK\x03\x04\x00")}).content.decode()
    assert "<title>Error: " in one and one.count("govuk-error-summary__title") == 1
    message = "This looks like an Excel workbook, not a CSV file."
    summary = re.search(r'<h2 class="govuk-error-summary__title">([^<]*)</h2>(.*?)</ul>', one, re.S)
    assert summary and summary[1] == "The file ‘addresses.csv’ was not imported"
    assert re.findall(r'<li[^>]*><a href="#id_file">([^<]*)</a></li>', summary[2])[0].startswith(message)
    assert "addresses.csv" not in summary[2]
    box = re.search(
        r'<div id="div_id_file" class="govuk-form-group govuk-form-group--error">(.*?)</div>', one, re.S
    )
    assert box and 'aria-describedby="id_file_1_error"' in box[1]
    assert re.search(
        r'id="id_file_1_error" class="govuk-error-message">\s*<span class="govuk-visually-hidden">'
        r"Error:</span>\s*" + re.escape(message),
        box[1],
    )
    several = (
        b"question,category,share\nx,y,1\nz,w,2\n"
        if action
        else b"uprn,address_line_1,postcode,ward\n1,a,XX,W\n2,b,YY,W\n"
    )
    page = client.post(url, {**action, "file": _upload(several)}).content.decode()
    assert len(re.findall(r'<li[^>]*><a href="#id_file">Row [23], column', page)) == 2
    assert "The file was not imported: fix the problems listed above and upload it again" in page


@pytest.mark.parametrize(
    ("page_name", "posted"),
    [
        ("questions", {"action": "add", "label": "", "categories": ""}),
        ("quotas", {"action": "propose", "slack": "x"}),
        ("quotas", {"action": "import"}),
        ("upload_addresses", {"file": "not a file"}),
        ("draw_lottery", {"count": "lots"}),
    ],
)
def test_each_error_summary_link_goes_to_a_box_on_the_page(
    signed_in_client: Any, recruiting_forum: Any, officer: Any, page_name: str, posted: dict[str, str]
) -> None:
    page = signed_in_client(officer).post(staff_url(page_name, recruiting_forum), posted).content.decode()
    start = page.index('<div class="govuk-error-summary"')
    summary = page[start : page.index("</ul>", start)]
    links = re.findall(r'<a href="#([^"]+)">', summary)
    boxes = set(re.findall(r'<(?:input|textarea|select)[^>]* id="([^"]+)"', page))
    assert links and set(links) <= boxes and page.count('class="govuk-error-summary"') == 1


def test_a_selection_blocked_since_its_page_was_opened_says_why_not_what_was_typed_wrong(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """Its error summary linked to the method and seed boxes, which the page no longer showed: registration
    is open again, so the page says that instead of offering the form."""
    posted = {"seed": "x" * 500}
    page = (
        signed_in_client(officer)
        .post(staff_url("start_selection", recruiting_forum), posted)
        .content.decode()
    )
    assert "govuk-error-summary" not in page and "<title>Error: " not in page
    assert 'id="id_seed"' not in page


def test_a_refused_upload_with_more_problems_than_listed_says_how_many_were_found(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    rows = "".join(f"{n},,SW1A 1AA,W\n" for n in range(1, 61))  # no first address line
    page = (
        signed_in_client(officer)
        .post(
            staff_url("upload_addresses", recruiting_forum),
            {"file": _upload(f"uprn,address_line_1,postcode,ward\n{rows}".encode())},
        )
        .content.decode()
    )
    assert "Fix these problems (the first 50 of 60 are listed) and upload it again:" in page
    assert len(re.findall(r'<li><a href="#id_file">Row ', page)) == 50


@pytest.mark.parametrize("name", ["draw_lottery", "upload_addresses", "quotas", "questions", "settings"])
def test_each_form_has_one_csrf_field(
    signed_in_client: Any, recruiting_forum: Any, officer: Any, name: str
) -> None:
    page = signed_in_client(officer).get(staff_url(name, recruiting_forum)).content.decode()
    forms_on_page = [form.split("</form>")[0] for form in page.split("<form")[1:]]
    assert forms_on_page and all(form.count('name="csrfmiddlewaretoken"') == 1 for form in forms_on_page)


def _upload(data: bytes, name: str = "addresses.csv") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_staff_pages_need_the_officer_role(
    client: Any, signed_in_client: Any, pool: Any, user_with_role: Any
) -> None:
    forum = pool[0].forum
    pages = ["overview", "quotas", "start_selection", "panel", "respondents", "upload_addresses"]
    for name in pages:
        assert client.get(staff_url(name, forum)).status_code == 302
    facilitator = signed_in_client(user_with_role("facilitator", forum))
    for name in pages:
        assert facilitator.get(staff_url(name, forum)).status_code == 403
    officer = signed_in_client(user_with_role("officer", forum))
    for name in pages:
        assert officer.get(staff_url(name, forum)).status_code == 200, name
    # The respondent list; the panel page, with nobody drawn yet, shows nobody's personal data.
    assert AuditEvent.objects.filter(action="recruitment.personal_data_viewed", forum=forum).count() == 1


NO = {"answer": "no"}
# Every registration step after the code, answered as Ada Lovelace would.
ANSWERS = [
    ("age", {"answer": "yes"}),
    ("area", {"answer": "yes"}),
    ("name", {"full_name": "Ada Lovelace"}),
    ("contact", {"email": "ada@example.org"}),
    ("q-gender", {"answer": "woman"}),
    ("q-age", {"answer": "30-44"}),
    ("q-ethnicity", {"answer": "white"}),
    ("q-disability", NO),
    ("availability", {"sessions": ["Saturday 6 March 2027"]}),
    ("consent", {"consent": "on"}),
]


def test_public_registration_one_question_per_page(client: Any, recruiting_forum: Any) -> None:
    forum = recruiting_forum
    invitation = Invitation.objects.filter(lottery__forum=forum).first()
    code = civic_lottery.issue_code(invitation)

    def step(name: str, data: dict[str, Any]) -> Any:
        return client.post(reverse("recruitment:register_step", args=[forum.slug, name]), data)

    assert client.get(reverse("recruitment:register_start", args=[forum.slug])).status_code == 200
    wrong = step("code", {"code": "AAAAA-AAAAA"})
    assert "We do not recognise that code" in wrong.content.decode()
    for name, data in [("code", {"code": code}), *ANSWERS]:
        response = step(name, data)
        assert response.status_code == 302, (name, response.content.decode()[:2000])
    check = client.get(response.url)
    assert "Ada Lovelace" in check.content.decode()
    done = client.post(response.url)
    assert done.url == reverse("recruitment:register_done", args=[forum.slug])
    respondent = Respondent.objects.get(forum=forum)
    assert respondent.answers == {"gender": "woman", "age": "30-44", "ethnicity": "white", "disability": "no"}
    assert respondent.reference in client.get(done.url).content.decode()


def test_a_registration_in_progress_is_kept_encrypted_in_the_session_table(
    client: Any, recruiting_forum: Any
) -> None:
    import json

    from django.contrib.sessions.backends.db import SessionStore

    forum = recruiting_forum
    code = civic_lottery.issue_code(Invitation.objects.filter(lottery__forum=forum).first())
    for name, data in [("code", {"code": code}), *ANSWERS[: ANSWERS.index(("q-disability", NO))]]:
        response = client.post(reverse("recruitment:register_step", args=[forum.slug, name]), data)
        assert response.status_code == 302, name
    # Django signs session data but does not encrypt it: this is what anyone reading the table gets.
    stored = json.dumps(SessionStore(client.session.session_key).load())
    assert "Ada Lovelace" not in stored and "ada@example.org" not in stored and '"white"' not in stored
    page = client.get(reverse("recruitment:register_step", args=[forum.slug, "name"])).content.decode()
    assert 'value="Ada Lovelace"' in page  # the person's answers are still there for them


def test_the_forum_page_offers_registration_while_it_is_open_whatever_the_stage(
    client: Any, recruiting_forum: Any
) -> None:
    from civicforum.recruitment.services import registration

    forum = recruiting_forum
    start = reverse("recruitment:register_start", args=[forum.slug])
    withdraw = reverse("recruitment:withdraw_public", args=[forum.slug])
    forum.current_stage = "selection"  # as in the demo: selection has begun, registration still open
    forum.save()
    page = client.get(forum.get_absolute_url()).content.decode()
    assert f'href="{start}"' in page
    assert f'href="{withdraw}"' not in page  # nobody has registered yet
    assert ">Sign in</a>" in page and "Staff sign in" not in page
    assert f'href="{withdraw}"' in client.get(start).content.decode()
    invitation = Invitation.objects.filter(lottery__forum=forum).first()
    registration.register(forum, invitation, registration.Registration(full_name="Ada Lovelace"))
    forum.current_stage = "recruitment"
    forum.save()
    forum.recruitment.registration_open = False
    forum.recruitment.save()
    page = client.get(forum.get_absolute_url()).content.decode()
    assert f'href="{start}"' not in page  # its steps would only say that registration is closed
    assert f'href="{withdraw}"' in page


def test_a_name_too_long_is_refused_in_govuk_style(client: Any, recruiting_forum: Any) -> None:
    invitation = Invitation.objects.filter(lottery__forum=recruiting_forum).first()
    code = civic_lottery.issue_code(invitation)
    for name, data in [("code", {"code": code}), ("age", {"answer": "yes"}), ("area", {"answer": "yes"})]:
        client.post(reverse("recruitment:register_step", args=[recruiting_forum.slug, name]), data)
    url = reverse("recruitment:register_step", args=[recruiting_forum.slug, "name"])
    page = client.post(url, {"full_name": "A" * 300}).content.decode()
    assert page.count("Name must be 200 characters or fewer") == 2  # the summary and the field
    assert "Ensure this value" not in page


def test_control_characters_and_bidi_overrides_are_taken_out_of_names_and_email_addresses(
    client: Any, recruiting_forum: Any
) -> None:
    """Django's 'Null characters are not allowed.' was shown on the name step, naming no box, and the
    other control characters and the bidirectional overrides and isolates were stored, so a name could
    show reversed on the officer's lists and in their spreadsheets. A resident cannot see them to take
    them out, so they go, as from the support needs box; the right-to-left mark stays."""
    invitation = Invitation.objects.filter(lottery__forum=recruiting_forum).first()
    code = civic_lottery.issue_code(invitation)
    for name, data in [("code", {"code": code}), ("age", {"answer": "yes"}), ("area", {"answer": "yes"})]:
        client.post(reverse("recruitment:register_step", args=[recruiting_forum.slug, name]), data)
    url = reverse("recruitment:register_step", args=[recruiting_forum.slug, "name"])
    response = client.post(url, {"full_name": "Si\x00\u00e2n\x07 \u202eneirB'O\u202c"})
    assert response.status_code == 302
    hebrew = "\u200f\u05e9\u05e8\u05d4\u2067 Cohen\u2069\tLevi"
    named = forms.NameForm({"full_name": hebrew})
    assert named.is_valid() and named.cleaned_data["full_name"] == "\u200f\u05e9\u05e8\u05d4 Cohen Levi"
    contact = forms.ContactForm({"email": "sian@exa\u202emple.org\x00"})
    assert contact.is_valid() and contact.cleaned_data["email"] == "sian@example.org"
    for step, data in [("contact", {"email": "sian@exa\u202emple.org"}), *ANSWERS[4:]]:
        response = client.post(reverse("recruitment:register_step", args=[recruiting_forum.slug, step]), data)
        assert response.status_code == 302, step
    client.post(reverse("recruitment:register_check", args=[recruiting_forum.slug]))
    saved = Respondent.objects.get(forum=recruiting_forum)
    assert (saved.full_name, saved.email) == ("Si\u00e2n neirB'O", "sian@example.org")


def test_a_null_character_in_a_public_box_is_refused_in_govuk_words_naming_it() -> None:
    form = forms.WithdrawForm({"reference": "R-K7QX2\x00MBH", "contact": "sian@example.org\x00"})
    assert form.errors == {
        "reference": ["Reference must not include control characters"],
        "contact": ["Email address or phone number must not include control characters"],
    }


@pytest.mark.parametrize(
    ("form_class", "field", "message"),
    [
        (forms.CodeForm, "code", "Code must be 32 characters or fewer"),
        (forms.ContactForm, "email", "Email address must be 320 characters or fewer"),
        (forms.ContactForm, "phone", "Phone number must be 30 characters or fewer"),
        (forms.PanelReplyForm, "access_needs", "The support you need must be 1,000 characters or fewer"),
        (forms.WithdrawForm, "reference", "Reference must be 20 characters or fewer"),
        (forms.WithdrawForm, "contact", "Email address or phone number must be 200 characters or fewer"),
        (forms.PanelReplyForm, "reference", "Reference must be 20 characters or fewer"),
        (forms.PanelReplyForm, "contact", "Email address or phone number must be 200 characters or fewer"),
    ],
)
def test_every_public_text_box_says_how_long_it_may_be(form_class: Any, field: str, message: str) -> None:
    form = form_class({field: "a" * 1000 + "@example.org"})
    assert message in form.errors[field]
    assert not any("Ensure this value" in error for error in form.errors[field])


def test_the_officer_forms_say_what_to_enter_instead_of_djangos_defaults(forum: Any) -> None:
    long = "x" * 400
    bound = [
        forms.LetterForm({}),
        forms.LetterForm({"heading": long, "body": "Dear resident", "reply_by": long}),
        forms.LotteryForm({"seed": long}, forum=forum),
        forms.RunForm({"algorithm": "leximin", "seed": long}),
        forms.PanelInvitationForm({"reply_by": long}),
        forms.QuotaQuestionForm({"label": long, "hint": long, "categories": "A\nB"}),
        forms.RecruitmentSettingsForm({"adults_per_household": "abc", "phone": long}),
    ]
    errors = [error for form in bound for field_errors in form.errors.values() for error in field_errors]
    for expected in [
        "Enter the letter's heading",
        "Enter the text of the letter",
        "Enter the date people should reply by",
        "Heading must be 200 characters or fewer",
        "Reply by must be 60 characters or fewer",
        "Seed must be 64 characters or fewer",
        "Question must be 200 characters or fewer",
        "Hint must be 300 characters or fewer",
        "Adults per household must be a whole number from 1 to 10",
        "Phone number must be 40 characters or fewer",
    ]:
        assert expected in errors
    defaults = ("This field is required.", "Ensure this value", "Enter a whole number.")
    assert not [error for error in errors if error.startswith(defaults)]


def test_under_16_is_told_they_cannot_take_part(client: Any, recruiting_forum: Any) -> None:
    invitation = Invitation.objects.filter(lottery__forum=recruiting_forum).first()
    code = civic_lottery.issue_code(invitation)
    client.post(reverse("recruitment:register_step", args=[recruiting_forum.slug, "code"]), {"code": code})
    response = client.post(
        reverse("recruitment:register_step", args=[recruiting_forum.slug, "age"]), {"answer": "no"}
    )
    assert "aged 16 or over" in response.content.decode()


def test_a_respondent_withdraws_themselves(client: Any, recruiting_forum: Any) -> None:
    from civicforum.recruitment.services import registration

    invitation = Invitation.objects.filter(lottery__forum=recruiting_forum).first()
    details = registration.Registration(full_name="Ada Lovelace", phone="07700 900123")
    respondent = registration.register(recruiting_forum, invitation, details)
    url = reverse("recruitment:withdraw_public", args=[recruiting_forum.slug])
    wrong = client.post(url, {"reference": respondent.reference, "contact": "07700 900999"})
    assert "could not find a registration" in wrong.content.decode()
    posted = {"reference": respondent.reference.lower(), "contact": "07700900123"}
    done = client.post(url, posted, follow=True)
    assert "Your information has been erased" in done.content.decode()
    erased = Respondent.objects.get(pk=respondent.pk)
    assert (erased.status, erased.full_name, erased.phone) == ("withdrawn", "", "")


def test_officer_registers_someone_by_phone_with_the_letter_reference(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    forum = recruiting_forum
    forum.recruitment.registration_open = (
        False  # the phone route works even when online registration is closed
    )
    forum.recruitment.save()
    client = signed_in_client(officer)
    invitation = Invitation.objects.filter(lottery__forum=forum).first()
    assert client.get(staff_url("phone_registration", forum)).status_code == 302
    answers = [
        ("code", {"code": invitation.reference.lower()}),
        ("age", {"answer": "yes"}),
        ("area", {"answer": "yes"}),
        ("name", {"full_name": "Edith Clarke"}),
        ("contact", {"phone": "01632 960000"}),
        ("q-gender", {"answer": "woman"}),
        ("q-age", {"answer": "65-plus"}),
        ("q-ethnicity", {"answer": "white"}),
        ("q-disability", {"answer": "yes"}),
        ("availability", {"sessions": ["Saturday 6 March 2027"]}),
        ("consent", {"consent": "on"}),
    ]
    for name, data in answers:
        response = client.post(reverse("recruitment:register_step", args=[forum.slug, name]), data)
        assert response.status_code == 302, (name, response.content.decode()[:1500])
    client.post(response.url)
    respondent = Respondent.objects.get(forum=forum)
    assert respondent.registered_by == officer
    assert AuditEvent.objects.filter(action="recruitment.registered_by_phone", actor=officer).exists()


def download(client: Any, name: str, forum: Any) -> list[dict[str, str]]:
    response = client.get(staff_url(name, forum))
    text = response.content.decode()
    assert text.startswith("\ufeff"), "without the byte order mark Excel garbles accented names"
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_no_pool_export_puts_everyones_answers_next_to_their_name(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """UK GDPR data minimisation: names to contact people, answers with no reference, in a random order,
    to check quotas. The answers file had the reference, in the contacts file's order: row N was the
    same person in both, though the page said names and answers were kept apart."""
    forum = pool[0].forum
    client = signed_in_client(officer)
    page = client.get(staff_url("respondents", forum)).content.decode()
    assert "use this to contact people" in page and "use this to check the quotas" in page
    assert "It has no names, references or wards, and the people are in a random order" in page
    contacts = download(client, "respondents_contacts_csv", forum)
    answers = download(client, "respondents_answers_csv", forum)
    assert len(contacts) == len(answers) == 150
    person = pool[0]
    contact = next(row for row in contacts if row["reference"] == person.reference)
    assert contact["name"] == person.full_name and contact["email"] == person.email
    assert not {"What is your gender?", "sessions", "access_needs"} & set(contact)
    assert "What is your gender?" in answers[0]
    assert not {"reference", "name", "email", "phone", "sessions", "access_needs"} & set(answers[0])
    assert not any(person.full_name in str(row) or person.reference in str(row) for row in answers)
    gender = {"woman": "Woman", "man": "Man"}
    person_of = {r.reference: (r.status, gender[r.answers["gender"]]) for r in pool}
    in_contacts_order = [person_of[row["reference"]] for row in contacts]
    shown = [(row["status"], row["What is your gender?"]) for row in answers]
    assert sorted(shown) == sorted(in_contacts_order) and shown != in_contacts_order
    logged = AuditEvent.objects.filter(action="recruitment.personal_data_viewed", forum=forum)
    assert [event.details for event in logged.order_by("id")] == [
        {"what": "respondent list", "people": 50},
        {"what": "pool contacts export (CSV)", "people": 150},
        {"what": "pool answers export (CSV)", "people": 150},
    ]


def test_the_answers_file_shares_no_column_with_the_contacts_file_that_could_link_a_person(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """Both files had the ward: the one person registered in a ward was the one row of that ward in
    each, so their ethnicity and disability answers had a name. The files now share only the status,
    and a withdrawn person's answers are erased, so it matches nothing."""
    from civicforum.recruitment.models import QuotaQuestion
    from civicforum.recruitment.services import registration

    forum = pool[0].forum
    assert QuotaQuestion.objects.filter(forum=forum, from_address=True).exists()  # a ward quota too
    alone = pool[0]
    Respondent.objects.filter(pk=alone.pk).update(ward="Lone Ward")
    registration.withdraw(pool[1], officer)
    client = signed_in_client(officer)

    contacts = download(client, "respondents_contacts_csv", forum)
    answers = download(client, "respondents_answers_csv", forum)

    assert set(contacts[0]) & set(answers[0]) == {"status"}
    assert next(row for row in contacts if row["reference"] == alone.reference)["ward"] == "Lone Ward"
    assert not any("Lone Ward" in row.values() for row in answers)
    withdrawn = [row for row in answers if row["status"] == "withdrawn"]
    assert len(withdrawn) == 1 and set(withdrawn[0].values()) == {"withdrawn", ""}


def test_support_needs_are_only_in_the_panel_export_of_members_still_taking_part(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    from civicforum.recruitment.models import MemberStatus, PanelMember

    forum = pool[0].forum
    draw_panel(forum, officer)
    members = list(PanelMember.objects.filter(forum=forum).select_related("respondent").order_by("id"))
    Respondent.objects.filter(pk=members[0].respondent.pk).update(access_needs="Step-free access")
    PanelMember.objects.filter(pk=members[1].pk).update(status=MemberStatus.DECLINED)
    client = signed_in_client(officer)
    assert "support needs (CSV)</a>: use this to arrange support for members" in (
        client.get(staff_url("panel", forum)).content.decode()
    )
    rows = download(client, "panel_csv", forum)
    assert [row["reference"] for row in rows] == [m.respondent.reference for m in members if m != members[1]]
    assert (
        rows[0]["access_needs"] == "Step-free access" and rows[0]["name"] == members[0].respondent.full_name
    )
    assert rows[0]["sessions"] == "; ".join(members[0].respondent.availability or [])
    event = AuditEvent.objects.filter(action="recruitment.personal_data_viewed", forum=forum).latest("id")
    assert event.details == {"what": "panel support export (CSV)", "people": len(members) - 1}


def test_pool_export_header_cannot_run_as_a_formula(signed_in_client: Any, pool: Any, officer: Any) -> None:
    from civicforum.recruitment.models import QuotaQuestion

    forum = pool[0].forum
    QuotaQuestion.objects.filter(forum=forum, key="gender").update(label='=HYPERLINK("http://evil")')
    response = signed_in_client(officer).get(staff_url("respondents_answers_csv", forum))
    header = next(csv.reader(io.StringIO(response.content.decode())))
    assert '\'=HYPERLINK("http://evil")' in header
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in header)


def test_behind_the_proxy_each_visitor_has_their_own_rate_limit(
    client: Any, recruiting_forum: Any, settings: Any
) -> None:
    """The proxy appends the address it was reached from; what comes before it the visitor wrote."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    url = reverse("recruitment:register_step", args=[recruiting_forum.slug, "code"])
    for guess in range(10):  # a new made-up address in front of every guess changes nothing
        client.post(url, {"code": "AAAAA-AAAAA"}, HTTP_X_FORWARDED_FOR=f"10.9.9.{guess}, 203.0.113.1")
    blocked = client.post(url, {"code": "AAAAA-AAAAA"}, HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert "too many codes" in blocked.content.decode()
    other = client.post(url, {"code": "AAAAA-AAAAA"}, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert "We do not recognise that code" in other.content.decode()
    settings.TRUSTED_PROXIES = 2  # a load balancer in front of the proxy: the visitor is one further left
    behind_two = client.post(url, {"code": "AAAAA-AAAAA"}, HTTP_X_FORWARDED_FOR="203.0.113.1, 10.0.0.5")
    assert "too many codes" in behind_two.content.decode()


def test_officer_opens_registration_and_sets_the_retention_date(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    client = signed_in_client(officer)
    url = staff_url("settings", forum)
    assert client.get(url).status_code == 200
    add_age_question(forum, officer)
    keep_until = forum.ends_on + timedelta(days=90)  # the form refuses a date past or before the forum ends
    data = {
        "registration_open": "on",
        "adults_per_household": "3",
        "phone": "01632 960 123",
        "session_dates": "Saturday 6 March 2027\nSaturday 20 March 2027",
        "retention_until_0": str(keep_until.day),
        "retention_until_1": str(keep_until.month),
        "retention_until_2": str(keep_until.year),
    }
    assert client.post(url, data).status_code == 302
    forum.recruitment.refresh_from_db()
    assert forum.recruitment.registration_open and forum.recruitment.retention_until == keep_until
    assert forum.recruitment.sessions() == ["Saturday 6 March 2027", "Saturday 20 March 2027"]
    bad = client.post(url, {**data, "retention_until_1": "13"})
    assert "must be a real date" in bad.content.decode()


def test_session_dates_are_saved_without_characters_that_change_how_they_display(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """Residents tick the dates they can attend, and the panel's spreadsheet lists them: a right-to-left
    override pasted into one showed it reversed there, and a control character as a box."""
    add_age_question(forum, officer)
    data = {
        "adults_per_household": "2",
        "phone": "01632 960 123",
        "session_dates": "Saturday\u202e 6 March 2027\r\n\x07\r\nSaturday 20 March 2027\x1b",
    }
    assert signed_in_client(officer).post(staff_url("settings", forum), data).status_code == 302
    forum.recruitment.refresh_from_db()
    assert forum.recruitment.sessions() == ["Saturday 6 March 2027", "Saturday 20 March 2027"]


def test_opening_registration_moves_a_forum_still_in_design_on_to_recruitment(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """A new forum stayed at 'Design' while its letters were out and registration open, so its public page
    and the home page said 'Design: in progress, Recruitment: not started'. Opening registration now moves
    it on (adding the stage if the forum left it out), says so and logs it; a later stage is kept."""
    from civicforum.processes.models import Stage

    forum.current_stage = "design"
    forum.save()
    forum.stages.filter(kind="recruitment").delete()
    add_age_question(forum, officer)
    client = signed_in_client(officer)
    url = staff_url("settings", forum)
    data = {"registration_open": "on", "adults_per_household": "2", "phone": "01632 960 123"}

    saved = client.post(url, data, follow=True).content.decode()

    assert (
        "Recruitment settings saved. Registration is open, so the forum has moved on from the Design stage "
        "to Recruitment: its public page now shows recruitment in progress." in saved
    )
    forum.refresh_from_db()
    assert forum.current_stage == "recruitment" and Stage.objects.filter(forum=forum, kind="recruitment")
    public = client.get(forum.get_absolute_url()).content.decode()
    current = public.split('aria-current="step"')[1].split("</li>")[0]
    assert "2. Recruitment" in current and "In progress" in current
    assert 'govuk-tag govuk-tag--blue">Recruitment<' in client.get(reverse("processes:home")).content.decode()
    moved = AuditEvent.objects.get(action="forum.updated", forum=forum)
    assert moved.actor == officer and moved.details["because"] == "registration opened"
    assert moved.details["current_stage"] == {"from": "design", "to": "recruitment"}
    assert moved.details["stages_added"] == ["recruitment"]

    # Reopened later (to draw replacements, say), the forum stays in the stage the officer set.
    forum.current_stage = "selection"
    forum.save()
    client.post(url, {**data, "registration_open": ""})
    reopened = client.post(url, data, follow=True).content.decode()
    assert "moved on" not in reopened and "Recruitment settings saved" in reopened
    forum.refresh_from_db()
    assert forum.current_stage == "selection"
    assert AuditEvent.objects.filter(action="forum.updated").count() == 1


def test_generating_letters_leaves_a_forum_in_design_until_registration_opens(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """The stage moves on when registration opens, not when letters are made: letters may be trial runs,
    remade with new codes, on a forum not yet public, and reach nobody until they are posted, while the
    public page's 'Recruitment: in progress' (and its Register link) would invite residents to a
    registration that is closed."""
    forum = recruiting_forum
    forum.current_stage = "design"
    forum.save()
    RecruitmentSettings.objects.filter(forum=forum).update(registration_open=False)
    lottery = forum.lotteries.get()
    letter = {"heading": "Join $forum", "body": "Dear resident,\n\nPlease register.", "reply_by": "1 May"}

    signed_in_client(officer).post(staff_url("lottery", forum, lottery_id=lottery.pk), letter)

    lottery.refresh_from_db()
    forum.refresh_from_db()
    assert lottery.letters_status == "ready" and forum.current_stage == "design"
    assert not AuditEvent.objects.filter(action="forum.updated").exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [(("31", "12", ""), "must include a year"), (("", "12", ""), "must include a day and year")],
)
def test_a_retention_date_half_typed_is_refused_not_dropped(
    signed_in_client: Any, recruiting_forum: Any, officer: Any, typed: tuple[str, str, str], message: str
) -> None:
    settings_row = recruiting_forum.recruitment
    settings_row.retention_until = "2027-12-31"
    settings_row.save()
    data = {"adults_per_household": "2", **{f"retention_until_{i}": part for i, part in enumerate(typed)}}
    response = signed_in_client(officer).post(staff_url("settings", recruiting_forum), data)
    assert f"Delete registration data on {message}" in response.content.decode()
    settings_row.refresh_from_db()
    assert str(settings_row.retention_until) == "2027-12-31"


def test_a_deletion_date_within_a_week_is_confirmed_with_a_tick_naming_what_is_deleted(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """Setting 'Delete registration data on' to today only said 'Recruitment settings saved', and the next
    daily purge deleted the registrations, invitations and addresses. A date within a week now needs a
    tick naming what goes; the date, what is deleted and what is kept show on the settings page and the
    overview, and the audit log records the date set and the one it replaced."""
    from datetime import timedelta

    from django.utils import timezone

    forum = recruiting_forum
    today = timezone.localdate()
    forum.starts_on, forum.ends_on = today - timedelta(days=60), today - timedelta(days=1)
    forum.save()
    client = signed_in_client(officer)
    url = staff_url("settings", forum)
    data = {"adults_per_household": "2", "phone": "01632 960 123"}
    later = today + timedelta(days=30)
    far = {"retention_until_0": later.day, "retention_until_1": later.month, "retention_until_2": later.year}
    assert client.post(url, data | far).status_code == 302  # a month away: no tick needed
    overview = client.get(staff_url("overview", forum)).content.decode()
    assert f"Registration data is deleted on {later:%-d %B %Y}, in 30 days." in overview
    assert "Deleted then: everyone’s registration (names, contact details, answers and support needs)" in (
        overview
    )
    assert "Kept: the counts (registrations by ward, week and answer" in overview

    now = {"retention_until_0": today.day, "retention_until_1": today.month, "retention_until_2": today.year}
    asked = client.post(url, data | now).content.decode()
    tick = "Tick to confirm that the registration data is to be deleted from"
    assert asked.count(f"{tick} {today:%-d %B %Y}, or choose a later date") == 2
    assert f"I understand that from {today:%-d %B %Y} this is deleted for good: everyone’s registration" in (
        asked
    )
    assert 'name="confirm_deletion"' in asked and "This cannot be undone" in asked
    assert f"Registration data is deleted on {later:%-d %B %Y}, in 30 days." in asked  # the date still saved
    forum.recruitment.refresh_from_db()
    assert forum.recruitment.retention_until == later

    saved = client.post(url, data | now | {"confirm_deletion": "on"}, follow=True).content.decode()
    assert f"Registration data will be deleted today, {today:%-d %B %Y}" in saved
    assert f"Registration data is deleted today, {today:%-d %B %Y}. This cannot be undone." in saved
    forum.recruitment.refresh_from_db()
    assert forum.recruitment.retention_until == today
    changed = AuditEvent.objects.filter(action="recruitment.settings_changed").latest("id")
    assert changed.actor == officer
    assert changed.details["retention_until"] == {"from": later.isoformat(), "to": today.isoformat()}
    # Saved again unchanged (another setting changed): nothing more to confirm.
    assert client.post(url, data | now | {"phone": "01632 960 124"}).status_code == 302


def test_registration_cannot_be_opened_again_once_the_data_was_deleted(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """After the purge, ticking 'Registration is open' saved: the public page offered 'Register', every
    code was refused (the invitations were deleted), and the daily purge, which deletes a forum's data
    once, would never delete what was collected afterwards."""
    from django.utils import timezone

    from civicforum.recruitment.services import privacy

    forum = pool[0].forum
    privacy.purge_forum(forum)
    data = {"registration_open": "on", "adults_per_household": "2", "phone": "01632 960 123"}
    page = signed_in_client(officer).post(staff_url("settings", forum), data).content.decode()
    message = (
        "Registration cannot open again: this forum’s registration data was deleted on "
        f"{timezone.localdate():%-d %B %Y} under the retention schedule, and with it the codes on the "
        "invitation letters, so nobody could register with their letter"
    )
    assert page.count(html.escape(message)) == 2  # in the error summary and beside the box
    forum.recruitment.refresh_from_db()
    assert not forum.recruitment.registration_open


def test_the_settings_page_never_shows_registration_open_once_the_data_was_deleted(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """A forum purged before the purge closed registration kept the box ticked: ignored, but the officer
    read 'Registration is open to the public' ticked."""
    from civicforum.recruitment.services import privacy

    forum = pool[0].forum
    privacy.purge_forum(forum)
    RecruitmentSettings.objects.filter(forum=forum).update(registration_open=True)
    page = signed_in_client(officer).get(staff_url("settings", forum)).content.decode()
    box = re.search(r'<input[^>]*name="registration_open"[^>]*>', page)
    assert box is not None and "checked" not in box.group(0)


def test_the_public_pages_never_offer_registration_once_the_data_was_deleted(client: Any, pool: Any) -> None:
    """A forum whose registration was opened again after the purge (before it was refused) offers no
    registration: its codes are gone."""
    from civicforum.recruitment.services import privacy

    forum = pool[0].forum
    privacy.purge_forum(forum)
    RecruitmentSettings.objects.filter(forum=forum).update(registration_open=True)
    start = reverse("recruitment:register_start", args=[forum.slug])
    assert f'href="{start}"' not in client.get(forum.get_absolute_url()).content.decode()
    page = client.get(start).content.decode()
    assert "Start now" not in page and "Registration is closed" in page
    code_step = reverse("recruitment:register_step", args=[forum.slug, "code"])
    assert "Registration is closed" in client.get(code_step, follow=True).content.decode()


def test_the_public_pages_offer_no_withdrawal_once_the_data_was_deleted(client: Any, pool: Any) -> None:
    """After the purge the start page and the privacy notice still offered 'withdraw your registration',
    whose form then answered 'We could not find a registration' for every reference (and counted a wrong
    try): each now says registrations were deleted and when, and offers nothing to withdraw or reply to."""
    from django.utils import timezone

    from civicforum.recruitment.services import privacy

    forum = pool[0].forum
    privacy.purge_forum(forum)
    deleted_on = f"deleted on {timezone.localdate():%-d %B %Y}"
    withdraw = reverse("recruitment:withdraw_public", args=[forum.slug])
    public_pages = [
        forum.get_absolute_url(),
        reverse("recruitment:register_start", args=[forum.slug]),
        reverse("recruitment:privacy", args=[forum.slug]),
    ]
    for url in public_pages:
        page = client.get(url).content.decode()
        assert f'href="{withdraw}"' not in page, url
    for url in public_pages[1:]:
        assert deleted_on in client.get(url).content.decode(), url
    reply = reverse("recruitment:panel_reply", args=[forum.slug])
    typed = {"reference": pool[0].reference, "contact": pool[0].email, "answer": "yes"}
    for url, heading in ((withdraw, "Withdraw your registration"), (reply, "Reply to your invitation")):
        for response in (client.get(url), client.post(url, typed)):
            page = response.content.decode()
            assert response.status_code == 410, url
            assert f'<h1 class="govuk-heading-l">{heading}</h1>' in page
            assert f"Registrations for {forum.title} were {deleted_on}" in page and "<form" not in page


def test_registering_and_the_support_needs_notice_say_the_registrations_were_deleted_once_they_were(
    client: Any, pool: Any
) -> None:
    """After the purge a registration page still said registration was 'not open at the moment' and to
    call if you should have been able to register, and the privacy notice said support needs are deleted
    on the retention date 'or when you withdraw': both now say registrations were deleted, and when."""
    from datetime import date

    from django.utils import timezone

    from civicforum.recruitment.services import privacy

    forum = pool[0].forum
    RecruitmentSettings.objects.filter(forum=forum).update(retention_until=date(2027, 6, 30))
    register = reverse("recruitment:register_step", args=[forum.slug, "code"])
    notice = reverse("recruitment:privacy", args=[forum.slug])
    closed = client.get(register)
    assert closed.status_code == 403 and "is not open at the moment" in closed.content.decode()
    assert (
        "Otherwise we delete it on 30 June 2027, with the rest of your information, or when you withdraw"
        in (client.get(notice).content.decode())
    )

    privacy.purge_forum(forum)
    deleted_on = f"deleted on {timezone.localdate():%-d %B %Y} under the retention schedule"
    for response in (client.get(register), client.post(register, {"code": "ABCD-EFGH"})):
        page = response.content.decode()
        assert response.status_code == 410
        assert '<h1 class="govuk-heading-l">Registration is closed</h1>' in page
        assert (
            f"Registrations for {forum.title} were {deleted_on}, so registration is closed and you have not "
            "been registered" in page
        )
        assert "not open at the moment" not in page and "should have been able to register" not in page
    page = client.get(notice).content.decode()
    assert f"Registrations were {deleted_on}, and with them the support members told us they needed" in page
    assert "we delete it" not in page and "when you withdraw" not in page


def test_officer_adds_and_removes_questions(signed_in_client: Any, forum: Any, officer: Any) -> None:
    from civicforum.recruitment.models import QuotaQuestion

    client = signed_in_client(officer)
    url = staff_url("questions", forum)
    bad = client.post(
        url, {"action": "add", "label": "How old are you?", "categories": "16 to 29 | lots\n30+"}
    )
    assert "Line 1: ‘lots’ is not a share" in bad.content.decode()
    client.post(
        url,
        {
            "action": "add",
            "label": "How old are you?",
            "categories": "16 to 29 | 22%\n30 or over | 0.78\n",
            "special_category": "no",
        },
    )
    question = QuotaQuestion.objects.get(forum=forum)
    assert question.key == "how-old-are-you"
    assert [(c.key, str(c.population_share)) for c in question.categories.all()] == [
        ("16-to-29", "0.2200"),
        ("30-or-over", "0.7800"),
    ]
    no_addresses = client.post(url, {"action": "ward"})
    assert "Upload the address list first" in no_addresses.content.decode()
    civic_lottery.import_addresses(forum, officer, address_csv(10), "a.csv")
    client.post(url, {"action": "ward"})
    ward = QuotaQuestion.objects.get(forum=forum, from_address=True)
    assert sorted(c.key for c in ward.categories.all()) == ["north-ward", "south-ward"]
    client.post(staff_url("remove_question", forum, question_id=question.pk))
    assert list(QuotaQuestion.objects.filter(forum=forum)) == [ward]


def test_answers_sharing_their_first_50_letters_or_without_letters_each_get_a_key(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    from civicforum.recruitment.models import QuotaQuestion

    census = "Black, Black British, Black Welsh, Caribbean or African: "
    answers = [census + "Caribbean", census + "African", census + "any other Black background", "😀", "ما"]
    response = signed_in_client(officer).post(
        staff_url("questions", forum),
        {
            "action": "add",
            "label": "What is your ethnic group?",
            "categories": "\n".join(answers),
            "special_category": "yes",
        },
    )
    assert response.status_code == 302
    keys = [c.key for c in QuotaQuestion.objects.get(forum=forum).categories.all()]
    assert len(set(keys)) == 5 and all(keys) and all(len(key) <= 50 for key in keys)
    assert keys[0] == "black-black-british-black-welsh-caribbean-or-afric"


def test_an_answer_longer_than_its_column_is_a_located_error_not_a_server_error(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    response = signed_in_client(officer).post(
        staff_url("questions", forum),
        {"action": "add", "label": "Sex", "categories": "Female\n" + "M" * 201 + " | 50%"},
    )
    assert response.status_code == 200
    assert "Line 2: an answer must be 200 characters or fewer" in response.content.decode()


def test_a_share_of_nan_is_a_located_error_not_a_server_error(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    response = signed_in_client(officer).post(
        staff_url("questions", forum), {"action": "add", "label": "Sex", "categories": "Female | NaN\nMale"}
    )
    assert response.status_code == 200
    assert "Line 1: ‘NaN’ is not a share" in response.content.decode()


def test_a_shares_file_with_a_huge_cell_is_refused_on_the_page(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    data = b"question,category,share\ngender,woman," + b"9" * 200_000 + b"\n"
    response = signed_in_client(officer).post(
        staff_url("quotas", recruiting_forum), {"action": "import", "file": _upload(data)}
    )
    assert response.status_code == 200
    assert "Row 2: this row has a cell over 128 KB long" in response.content.decode()


@pytest.mark.parametrize("data", [b"question,category,share\n", b"question,category,share\n,,\n\n"])
def test_a_shares_file_with_no_rows_is_refused(
    signed_in_client: Any, recruiting_forum: Any, officer: Any, data: bytes
) -> None:
    response = signed_in_client(officer).post(
        staff_url("quotas", recruiting_forum), {"action": "import", "file": _upload(data)}, follow=True
    )
    page = response.content.decode()
    assert "The file ‘addresses.csv’ was not imported" in page
    assert "Row 2: the file has no rows under its header" in page
    assert "Population shares set" not in page


@pytest.mark.parametrize(
    ("data", "field"), [({"action": "propose", "slack": "abc"}, "slack"), ({"action": "import"}, "file")]
)
def test_the_slack_and_upload_boxes_errors_are_summarised_at_the_top_of_the_quotas_page(
    signed_in_client: Any, recruiting_forum: Any, officer: Any, data: dict[str, str], field: str
) -> None:
    page = signed_in_client(officer).post(staff_url("quotas", recruiting_forum), data).content.decode()
    summary = page.index("There is a problem")
    assert page.index(f'href="#id_{field}"') > summary and summary < page.index("<h1")
    assert "<title>Error: Quotas" in page


def test_the_quotas_page_warns_of_shares_set_before_they_were_checked(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """Woman 30% and Man 30% imported before imports checked the total: proposing quotas from them
    would leave the panel unfilled, so the page says so, naming the question and its total."""
    from decimal import Decimal

    from civicforum.recruitment.models import QuotaCategory

    gender = QuotaCategory.objects.filter(question__forum=recruiting_forum, question__key="gender")
    gender.update(population_share=Decimal("0.3"))
    page = signed_in_client(officer).get(staff_url("quotas", recruiting_forum)).content.decode()
    warning = (
        "The population shares for ‘What is your gender?’ add up to 60%: every answer has a share, so "
        "together they must make 100% (99% to 101% allows for rounding). Import its shares again before "
        "proposing quotas from them."
    )
    assert page.count(warning) == 1 and page.count("govuk-warning-text__text") == 1
    gender.filter(key="woman").update(population_share=Decimal("0.7"))
    page = signed_in_client(officer).get(staff_url("quotas", recruiting_forum)).content.decode()
    assert "govuk-warning-text__text" not in page


def test_the_quotas_page_shows_how_many_in_the_pool_gave_each_answer(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """An officer set each minimum without seeing what the pool holds, and had to compare it with the
    overview page."""
    from collections import Counter

    from civicforum.recruitment.models import QuotaQuestion, Respondent

    forum = pool[0].forum
    page = " ".join(signed_in_client(officer).get(staff_url("quotas", forum)).content.decode().split())
    assert '<th scope="col" class="govuk-table__header govuk-table__header--numeric">In the pool</th>' in page
    for question in QuotaQuestion.objects.filter(forum=forum, from_address=False):
        given = Counter(
            (respondent.answers or {}).get(question.key)
            for respondent in Respondent.objects.filter(forum=forum, status="registered")
        )
        for category in question.categories.all():
            row = re.search(
                rf'<th scope="row" class="govuk-table__header">{re.escape(html.escape(category.label))}</th>'
                r' <td class="[^"]*">[^<]*</td> <td class="[^"]*">([\d,]+)</td>',
                page,
            )
            assert row and int(row[1].replace(",", "")) == given[category.key], category.label


@pytest.mark.parametrize("typed", ["²", "99999999999999999999", "40000"])
def test_a_quota_minimum_that_is_not_a_whole_number_within_the_panel_is_refused(
    signed_in_client: Any, recruiting_forum: Any, officer: Any, typed: str
) -> None:
    from civicforum.recruitment.models import QuotaCategory

    woman = QuotaCategory.objects.get(question__forum=recruiting_forum, key="woman")
    response = signed_in_client(officer).post(
        staff_url("quotas", recruiting_forum), {"action": "save", f"min-{woman.pk}": typed}
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    woman.refresh_from_db()
    assert woman.min_members is None or woman.min_members <= recruiting_forum.panel_size


def test_number_boxes_are_govuk_inputs_with_errors_that_say_what_to_enter(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    client = signed_in_client(officer)
    page = client.post(staff_url("draw_lottery", recruiting_forum), {"letters": "ten"}).content.decode()
    assert 'value="ten" inputmode="numeric" class="govuk-input govuk-input--width-5' in page
    assert "Number of letters must be a whole number, like 1200" in page
    assert "This field is required" not in page
    settings_page = client.post(staff_url("settings", recruiting_forum), {"adults_per_household": ""})
    assert "Enter how many adults each letter&#x27;s code may register" in settings_page.content.decode()
    quotas_page = client.post(staff_url("quotas", recruiting_forum), {"action": "propose"}).content.decode()
    assert 'name="slack" inputmode="numeric" class="govuk-input govuk-input--width-2' in quotas_page
    assert "Enter how many members either side of the exact share" in quotas_page


def test_a_line_break_in_the_reply_by_date_is_refused_in_govuk_words(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """A raw POST could put a line break in reply_by: it split the panel letter's box text and landed
    mid-sentence in the email."""
    client = signed_in_client(officer)
    for value in ("18 December\n2026", "18 December\r\n2026", "18 December\u20282026"):
        page = client.post(staff_url("invite_panel", forum), {"reply_by": value})
        assert page.status_code == 200
        assert "Reply by must be on one line, for example 18 December 2026" in page.content.decode()
    assert not AuditEvent.objects.filter(action="recruitment.panel_invited").exists()
    lottery_form = forms.LetterForm({"heading": "Join $forum", "body": "Dear resident", "reply_by": "1\nMay"})
    assert lottery_form.errors["reply_by"] == ["Reply by must be on one line, for example 18 December 2026"]


def test_a_lone_small_count_on_the_selection_record_cannot_be_worked_out_by_subtraction(
    client: Any, recruiting_forum: Any, monkeypatch: Any
) -> None:
    from django.utils import timezone

    from civicforum.recruitment.models import SelectionRun
    from civicforum.recruitment.services import selection

    forum = recruiting_forum
    SelectionRun.objects.create(
        forum=forum, panel_size=12, status="done", seed="s", result={}, published_at=timezone.now()
    )
    counts = [("Gender", "Woman", 9), ("Gender", "Man", 3), ("Gender", "Prefer not to say", 0)]
    counts += [("Age", "16 to 44", 6), ("Age", "45 and over", 6)]
    rows = [{"question": q, "category": c, "min": None, "max": None, "count": n} for q, c, n in counts]
    monkeypatch.setattr(selection, "run_against_targets", lambda run: rows)
    record = selection.public_record(forum)
    assert record is not None
    # 12 members, 9 women: the 3 men shown as 'fewer than 5' could be worked out, so 9 is withheld too.
    assert [row["count"] for row in record["composition"]] == ["not shown", "fewer than 5", "0", "6", "6"]
    page = client.get(reverse("recruitment:selection_record", args=[forum.slug])).content.decode()
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">9</td>' not in page
    assert "not shown" in page


def _what_a_reader_can_tell(rows: list[tuple[str, str]], total: int) -> list[set[int]]:
    """Every value each member count of one question could have, for a reader who knows the question's
    total, reads each (target, members) pair as published and knows the panel was drawn to meet the
    targets shown."""
    from tests.selection.test_disclosure import consistent_values

    def target_range(text: str) -> range:
        if text.startswith("at least "):
            return range(int(text.removeprefix("at least ")), total + 1)
        if text.startswith("up to "):
            return range(0, int(text.removeprefix("up to ")) + 1)
        if " to " in text:
            low, high = text.split(" to ")
            return range(int(low), int(high) + 1)
        return range(int(text), int(text) + 1) if text.isdigit() else range(0, total + 1)

    def members_range(text: str) -> range:
        if text == "fewer than 5":
            return range(1, 5)
        return range(int(text), int(text) + 1) if text.isdigit() else range(5, total + 1)

    ranges = [set(target_range(target)) & set(members_range(members)) for target, members in rows]
    return consistent_values(ranges, total)


def test_a_target_that_gives_away_a_small_group_is_withheld_on_the_record_and_in_its_download(
    client: Any, pool: Any, officer: Any
) -> None:
    """A target of exactly 2 disabled members tells the public there are 2, as plainly as the count
    would: the record and distribution.json withhold it as they withhold the count."""
    from civicforum.recruitment.models import QuotaCategory
    from civicforum.recruitment.services import selection

    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    QuotaCategory.objects.filter(question__forum=forum, question__key="disability", key="yes").update(
        min_members=2, max_members=2
    )
    run = run_selection(forum, officer, "legacy", seed="public-seed")
    selection.publish(run, officer)
    page = client.get(reverse("recruitment:selection_record", args=[forum.slug])).content.decode()
    table = page.split('id="composition-caption"')[1].split("</table>")[0]
    page_rows = re.findall(
        r'<td class="govuk-table__cell">([^<]*)</td><td class="govuk-table__cell">([^<]*)</td>\s*'
        r'<td class="govuk-table__cell govuk-table__cell--numeric">([^<]*)</td>\s*'
        r'<td class="govuk-table__cell govuk-table__cell--numeric">([^<]*)</td>',
        table,
    )
    download = client.get(reverse("recruitment:selection_distribution", args=[forum.slug])).json()
    json_rows = [(r["question"], r["answer"], r["target"], r["members"]) for r in download["composition"]]
    assert [tuple(html.unescape(cell) for cell in row) for row in page_rows] == json_rows
    assert "quotas" not in download  # the run's own quotas, each with its minimum and maximum
    disability = "Do you have a disability or long-term health condition?"
    assert (disability, "Yes", "not shown", "fewer than 5") in json_rows
    assert "To protect panel members’ privacy" in page and "for example a target of exactly 2" in page
    # Whatever a reader adds up or subtracts, with the panel size beside the table, no count from 1 to 4
    # comes out as one number.
    true_counts = selection.panel_against_targets(forum)
    for question in {row[0] for row in json_rows}:
        rows = [(target, members) for q, _answer, target, members in json_rows if q == question]
        total = sum(row["count"] for row in true_counts if row["question"] == question)
        possible = _what_a_reader_can_tell(rows, total)
        for (_target, members), values in zip(rows, possible, strict=True):
            assert members != "fewer than 5" or len(values) > 1, (question, rows)


def test_the_draw_checks_out_by_following_the_selection_record_s_own_instructions(
    client: Any, pool: Any, officer: Any
) -> None:
    """The record said to hash 'a sorted list of sorted lists of numbers', where the panels are ids such
    as "V0042" under 'lottery', and never said where to get the civicforum command. Each step here is
    done as the page words it."""
    import hashlib
    import json
    import tarfile

    forum = pool[0].forum
    publish_selection(forum, officer, seed="public-seed")
    page = html.unescape(
        client.get(reverse("recruitment:selection_record", args=[forum.slug])).content.decode()
    )
    assert "the list called ‘panels’ inside ‘lottery’ in distribution.json" in page
    download = client.get(reverse("recruitment:selection_distribution", args=[forum.slug])).json()
    panels = download["lottery"]["panels"]
    assert all(re.fullmatch(r"V\d+", token) for panel in panels for token in panel)
    example = re.search(r'for example <code class="civicforum-break">([^<]*)</code>', page).group(1)
    assert json.dumps(json.loads(example), separators=(",", ":")) == example  # compact, as it says
    written = json.dumps(sorted(sorted(panel) for panel in panels), separators=(",", ":"))
    fingerprint = hashlib.sha256(written.encode()).hexdigest()
    assert fingerprint in page
    assert '<dd class="govuk-summary-list__value">1,000</dd>' in page  # possible panels, as GOV.UK writes it
    size, remainder = re.search(r"divided by (\d+), leaves a remainder of (\d+)", page).groups()
    code = download["seed"]
    assert int(hashlib.sha256(f"{fingerprint}:{code}".encode()).hexdigest(), 16) % int(size) == int(remainder)
    selected = client.get(reverse("recruitment:selection_selected", args=[forum.slug])).content.decode()
    assert sorted(panels[int(remainder)]) == sorted(selected.split()[1:])
    # The source code the page links to is an archive pip can install.
    source = re.search(r'Download <a class="govuk-link" href="([^"]+)">CivicForum’s source code</a>', page)
    archive = client.get(source.group(1))
    with tarfile.open(fileobj=io.BytesIO(archive.getvalue())) as tar:
        names = tar.getnames()
    top = names[0].split("/")[0]
    assert {f"{top}/pyproject.toml", f"{top}/LICENSE", f"{top}/src/civicforum/selection/cli.py"} <= set(names)


def test_the_selection_record_s_counts_do_not_change_when_a_member_leaves(
    client: Any, pool: Any, officer: Any
) -> None:
    """Comparing the page before and after someone leaves the panel would tell their answers (a count of
    their ethnic group one lower): the record keeps the counts of the panel as published."""

    from civicforum.recruitment.models import MemberStatus, PanelMember, SelectionRun
    from civicforum.recruitment.services import registration, selection

    forum = pool[0].forum
    publish_selection(forum, officer, seed="public-seed")
    url = reverse("recruitment:selection_record", args=[forum.slug])
    download = reverse("recruitment:selection_distribution", args=[forum.slug])
    before = client.get(url).context["composition"]
    before_json = client.get(download).json()["composition"]
    members = list(PanelMember.objects.filter(forum=forum).select_related("respondent"))
    live = selection.panel_against_targets(forum)
    registration.withdraw(members[0].respondent, officer)  # erases their answers, and they decline
    selection.set_member_status(members[1], MemberStatus.DECLINED, officer)
    assert selection.panel_against_targets(forum) != live  # the officer's own pages follow the panel
    assert client.get(url).context["composition"] == before
    assert client.get(download).json()["composition"] == before_json
    published_on = SelectionRun.objects.get(forum=forum).published_at
    assert f"when this record was published on {published_on:%-d %B %Y}" in client.get(url).content.decode()
    # A record published before the counts were kept is fixed the first time it is shown.
    SelectionRun.objects.filter(forum=forum).update(published_composition=[])
    first_shown = client.get(url).context["composition"]
    selection.set_member_status(members[2], MemberStatus.DECLINED, officer)
    assert client.get(url).context["composition"] == first_shown


def test_after_the_purge_staff_pages_say_the_data_was_deleted_and_show_the_kept_figures(
    signed_in_client: Any, pool: Any, officer: Any, user_with_role: Any
) -> None:
    from django.utils import timezone

    from civicforum.recruitment.models import SelectionRun
    from civicforum.recruitment.services import privacy

    forum = pool[0].forum
    draw_panel(forum, officer)
    north = privacy.aggregates(forum)["by_ward"]["North Ward"]
    privacy.purge_forum(forum)
    deleted = f"Personal data was deleted on {timezone.localdate():%-d %B %Y} under the retention schedule"
    client = signed_in_client(officer)
    pages = {name: client.get(staff_url(name, forum)).content.decode() for name in PURGED_PAGES}
    for name, page in pages.items():
        assert deleted in page, name
        actions = ("start_selection", "invite_panel", "phone_registration", *EXPORTS)
        for action in actions:
            url = staff_url(action, forum)
            assert f'href="{url}"' not in page and f'href="{url}?' not in page, (name, action)
        assert "Confirmed<span" not in page and "Send invitations" not in page, name
    assert "150</span>registered" in pages["overview"]
    assert (
        f'North Ward</th>\n          <td class="govuk-table__cell govuk-table__cell--numeric">{north}<'
        in (pages["overview"])
    )
    assert "150 people registered" in pages["respondents"]
    assert "your viewing it is recorded" not in pages["respondents"] + pages["panel"]
    evaluator = signed_in_client(user_with_role("evaluator", forum))
    assert "150</span>registered" in evaluator.get(staff_url("overview", forum)).content.decode()
    runs = SelectionRun.objects.count()
    client.post(staff_url("start_selection", forum), {"algorithm": "legacy", "seed": "again"})
    assert SelectionRun.objects.count() == runs


EXPORTS = ("respondents_contacts_csv", "respondents_answers_csv", "panel_csv")
PURGED_PAGES = ["overview", "respondents", "panel", "start_selection"]


def test_an_evaluator_sees_the_pool_dashboard_without_counts_that_single_someone_out(
    signed_in_client: Any, recruiting_forum: Any, officer: Any, user_with_role: Any
) -> None:
    from civicforum.recruitment.services import registration

    forum = recruiting_forum
    invitations = Invitation.objects.filter(lottery__forum=forum)[:6]
    for index, invitation in enumerate(invitations):
        answers = {"gender": "man" if index == 0 else "woman"}
        registration.register(
            forum, invitation, registration.Registration(f"Person {index}", answers=answers)
        )

    def gender_rows(user: Any) -> list[tuple[str, str, object]]:
        response = signed_in_client(user).get(staff_url("overview", forum))
        gender = next(b for b in response.context["composition"] if b["question"].key == "gender")
        return [(r["label"], str(r["count"]), r["pool_percent"]) for r in gender["rows"][:3]]

    # 6 registered, 5 women: 1 man. The evaluator (no access to personal data) must not learn it.
    assert gender_rows(officer)[:2] == [("Woman", "5", 83.3), ("Man", "1", 16.7)]
    evaluator = user_with_role("evaluator", forum)
    assert gender_rows(evaluator)[:2] == [("Woman", "not shown", None), ("Man", "fewer than 5", None)]
    page = signed_in_client(evaluator).get(staff_url("overview", forum)).content.decode()
    assert "16.7%" not in page and "83.3%" not in page and "so that nobody can be identified" in page


def test_downloading_the_panel_letters_records_how_many_people_they_name(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    from civicforum.recruitment.services import selection

    forum = pool[0].forum
    run = draw_panel(forum, officer)
    selection.publish(run, officer)
    client = signed_in_client(officer)
    client.post(staff_url("invite_panel", forum), SEND_INVITATIONS)
    download = client.get(staff_url("panel_letters", forum))
    assert b"".join(download.streaming_content).count(b"/Type /Page ") == 12
    event = AuditEvent.objects.get(
        action="recruitment.personal_data_viewed", details__what="panel letters download"
    )
    assert event.details["people"] == 12


def letters_then_purge(forum: Any) -> Any:
    """Generate the forum's letters, then delete its data as the retention schedule does."""
    from civicforum.recruitment.services import privacy

    lottery = forum.lotteries.get()
    generation = civic_lottery.request_letters(lottery, None)
    civic_lottery.generate_letters(lottery.pk, "https://example.org/register", generation)
    privacy.purge_forum(forum)
    return lottery


def test_after_the_purge_the_letters_page_keeps_the_letters_per_ward_and_offers_no_deleted_files(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:

    forum = recruiting_forum
    lottery = letters_then_purge(forum)
    client = signed_in_client(officer)
    url = staff_url("lottery", forum, lottery_id=lottery.pk)
    page = client.get(url).content.decode()
    assert "Personal data was deleted on" in page and "North Ward: 100" in page
    assert staff_url("lottery_file", forum, lottery_id=lottery.pk, kind="letters.pdf") not in page
    assert "Generate letters" not in page
    letter = {"heading": "Join $forum", "body": "Dear resident,\n\nPlease register.", "reply_by": "1 May"}
    lottery.refresh_from_db()
    kept = (lottery.letter_heading, lottery.letters_status)
    response = client.post(url, letter, follow=True)
    assert response.redirect_chain == [(staff_url("overview", forum), 302)]  # as every closed page does
    assert "recruitment for this forum is closed and that can no longer be done" in response.content.decode()
    lottery.refresh_from_db()
    assert (lottery.letter_heading, lottery.letters_status) == kept and lottery.letters_pdf == ""


def test_after_the_purge_the_run_page_lists_chances_by_volunteer_number(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    from civicforum.recruitment.services import privacy

    forum = pool[0].forum
    run = draw_panel(forum, officer)
    privacy.purge_forum(forum)
    page = signed_in_client(officer).get(staff_url("run", forum, run_id=run.pk)).content.decode()
    assert "Personal data was deleted on" in page
    assert '<th scope="col" class="govuk-table__header">Volunteer number</th>' in page
    assert "V0001" in page and "R-" not in page


def test_a_replacement_draw_page_says_whom_it_replaced_and_the_chances_instead_of_the_full_draw_chart(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """A replacement draw's page showed the full draw's chart of chances, where the 11 members kept stood
    at 100% beside the pool's chances of filling one place."""
    from civicforum.recruitment.models import PanelMember
    from civicforum.recruitment.services import privacy, selection

    forum = pool[0].forum
    full = draw_panel(forum, officer)
    mark_invited(forum)
    declined = PanelMember.objects.filter(forum=forum).select_related("respondent").first()
    selection.set_member_status(declined, "declined", officer)
    replacements = run_selection(forum, officer, "legacy", seed="r", replacement=True)
    drawn = PanelMember.objects.select_related("respondent").get(run=replacements).respondent
    client = signed_in_client(officer)
    chart = "Volunteers by chance of being selected"
    assert chart in client.get(staff_url("run", forum, run_id=full.pk)).content.decode()

    url = staff_url("run", forum, run_id=replacements.pk)
    page = client.get(url).content.decode()
    chances = replacements.result["probabilities"]
    others = sorted(chance for reference, chance in chances.items() if chances[reference] < 1)
    summary = (
        f"This draw kept the 11 members still on the panel and filled 1 place from the other {len(others)} "
        f"volunteers in the pool, whose chances of being drawn were between {others[0]:.2%} and "
        f"{others[-1]:.2%}."
    )
    assert summary in page and chart not in page
    assert "Each volunteer’s chance of being selected</dt>" not in page  # its highest, 100%, a member kept
    row = (
        f'<td class="govuk-table__cell">{drawn.reference}</td><td class="govuk-table__cell">'
        f"{declined.respondent.reference}</td>"
        f'<td class="govuk-table__cell govuk-table__cell--numeric">{chances[drawn.reference]:.2%}</td>'
    )
    assert row in page

    privacy.purge_forum(forum)
    page = client.get(url).content.decode()
    assert summary in page and "Who this draw replaced" not in page and drawn.reference not in page


def replacements_some_cannot_fill(forum: Any, officer: Any) -> None:
    """A drawn panel on which two members declined, and the gender quota's maximum for the answer most
    members kept hold lowered to their number: the volunteers holding it can fill neither place."""
    from collections import Counter

    from civicforum.recruitment.models import PanelMember, QuotaCategory
    from civicforum.recruitment.services import selection

    draw_panel(forum, officer)
    mark_invited(forum)
    for member in PanelMember.objects.filter(forum=forum).order_by("id")[:2]:
        selection.set_member_status(member, "declined", officer)
    questions = quotas.questions_with_categories(forum)
    gender = next(question for question in questions if question.key == "gender")
    kept = PanelMember.objects.filter(forum=forum).exclude(status="declined").select_related("respondent")
    answer, held = Counter(
        quotas.feature_values(m.respondent, questions)["gender"] for m in kept
    ).most_common(1)[0]
    QuotaCategory.objects.filter(question=gender, key=answer).update(min_members=0, max_members=held)


SAMPLED = "The legacy method’s chances are estimates, counted from trial draws: a chance of 0.00% means"
QUOTAS_LEAVE_NONE = (
    "These chances are exact: a chance of 0.00% means the quotas leave that volunteer no chance"
)
DRAW_GAVE_NONE = "These chances are exact: a chance of 0.00% means this draw gave that volunteer no chance."


@pytest.mark.parametrize(
    ("algorithm", "explained"),
    [("legacy", SAMPLED), ("leximin", QUOTAS_LEAVE_NONE), ("maximin", DRAW_GAVE_NONE)],
)
def test_a_replacement_draw_whose_chances_start_at_zero_says_what_that_means_for_its_method(
    signed_in_client: Any, pool: Any, officer: Any, algorithm: str, explained: str
) -> None:
    """The page said the chances ran 'between 0.00% and ...' and no more. The legacy method's chances are
    counted from trial draws, so 0.00% may mean only never picked in them; the other methods' are exact,
    and a Leximin draw that finished in time gives a chance to everyone the quotas allow."""
    forum = pool[0].forum
    replacements_some_cannot_fill(forum, officer)
    run = run_selection(forum, officer, algorithm, seed="r", replacement=True)
    client = signed_in_client(officer)
    url = staff_url("run", forum, run_id=run.pk)

    summary = client.get(url).content.decode().split('id="replacement-chances">')[1].split("</p>")[0]

    assert "whose chances of being drawn were between 0.00% and " in summary
    assert html.unescape(summary).count("0.00% means") == 1 and explained in html.unescape(summary)
    if algorithm == "leximin":  # stopped at the time limit: not proven to give everyone a chance it could
        run.result["proven_optimal"] = False
        run.save()
        assert DRAW_GAVE_NONE in html.unescape(client.get(url).content.decode())


def test_a_chance_too_small_for_two_decimal_places_is_not_shown_as_no_chance() -> None:
    from civicforum.recruitment.services import selection

    assert [selection.percent(p) for p in (0, 0.00003, 0.0001, 0.0523)] == [
        "0.00%",
        "less than 0.01%",
        "0.01%",
        "5.23%",
    ]


def test_the_replacement_pages_count_only_the_volunteers_the_draw_could_choose(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """The start page said replacements were drawn from all 150 registered, and the draw's page counted
    the two members who had declined among the other volunteers, with their chances. It then counted the
    housemates of the members kept, whom one person per household leaves no chance, and its range of
    chances started at 0.00%: the draw draws from the 150 less the 10 members kept, the 2 who declined
    and those members' housemates."""
    from civicforum.recruitment.models import PanelMember
    from civicforum.recruitment.services import selection

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)
    members = list(PanelMember.objects.filter(forum=forum).select_related("respondent"))
    declined, kept = members[:2], members[2:]
    for member in declined:
        selection.set_member_status(member, "declined", officer)
    housemates = set(
        Respondent.objects.filter(
            status="registered", invitation__in={m.respondent.invitation_id for m in kept}
        )
        .exclude(pk__in={member.respondent_id for member in kept})
        .values_list("reference", flat=True)
    )
    assert housemates  # the pool has households of two
    others = 150 - 10 - 2 - len(housemates)
    client = signed_in_client(officer)
    start = client.get(staff_url("start_selection", forum) + "?replacements=1").content.decode()
    assert (
        f"drawn from the {others} people registered who are not on the panel, have not declined a place and "
        "do not live with a member who stays (only one person per household can be on the panel)."
    ) in start
    replacements = run_selection(forum, officer, "leximin", seed="r", replacement=True)
    page = client.get(staff_url("run", forum, run_id=replacements.pk)).content.decode()
    assert (
        f"kept the 10 members still on the panel and filled 2 places from the other {others} volunteers"
        in page
    )
    drawn_from = set(replacements.result["probabilities"])
    assert not {member.respondent.reference for member in declined} & drawn_from
    assert not housemates & drawn_from
    assert "between 0.00%" not in page  # leximin gives everyone who can be drawn some chance


def test_after_the_purge_pages_that_would_recruit_again_send_the_officer_back_with_the_reason(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    from django.utils import timezone

    from civicforum.recruitment.models import AddressList, PanelMember, QuotaCategory
    from civicforum.recruitment.services import privacy

    forum = pool[0].forum
    draw_panel(forum, officer)
    member = PanelMember.objects.filter(forum=forum).first()
    privacy.purge_forum(forum)
    client = signed_in_client(officer)
    overview = staff_url("overview", forum)
    reason = f"Personal data was deleted on {timezone.localdate():%-d %B %Y} under the retention schedule"
    for name in ("upload_addresses", "draw_lottery", "phone_registration", "invite_panel"):
        response = client.get(staff_url(name, forum), follow=True)
        assert response.redirect_chain == [(overview, 302)], name
        assert reason in response.content.decode(), name
    invited = client.post(staff_url("invite_panel", forum), SEND_INVITATIONS, follow=True)
    assert invited.redirect_chain == [(overview, 302)] and reason in invited.content.decode()
    assert not PanelMember.objects.filter(forum=forum, invited_at__isnull=False).exists()
    lists = AddressList.objects.count()
    client.post(staff_url("upload_addresses", forum), {"file": ContentFile(b"uprn\n", name="a.csv")})
    assert AddressList.objects.count() == lists
    status = member.status
    client.post(staff_url("member_decline", forum, member_id=member.pk), {"seen": member.status})
    member.refresh_from_db()
    assert member.status == status
    assert client.get(staff_url("quotas", forum)).status_code == 200  # the quotas used stay readable
    minimums = list(QuotaCategory.objects.filter(question__forum=forum).values_list("min_members", flat=True))
    client.post(staff_url("quotas", forum), {"action": "propose", "slack": "9"})
    now = QuotaCategory.objects.filter(question__forum=forum).values_list("min_members", flat=True)
    assert list(now) == minimums


def test_after_the_purge_the_quotas_page_shows_the_kept_figures_and_offers_nothing_to_change(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """The quotas page still offered to save, propose and import, over '0 people in the pool'."""
    from civicforum.recruitment.services import privacy, selection

    forum = pool[0].forum
    draw_panel(forum, officer)
    composition = selection.panel_against_targets(forum)
    privacy.purge_forum(forum)
    page = signed_in_client(officer).get(staff_url("quotas", forum)).content.decode()
    assert "Personal data was deleted on" in page
    assert "so the quotas can no longer be changed, proposed or imported" in page
    assert (
        "150 people were registered when the data was deleted" in page and "0 people in the pool" not in page
    )
    for action in ("Save quotas and check", "Propose quotas", "Import shares", 'name="min-', 'name="max-'):
        assert action not in page, action
    assert "Panel against quotas when the data was deleted" in page
    first = composition[0]
    assert f'<td class="govuk-table__cell">{first["category"]}</td>' in page


def test_after_the_purge_downloads_of_personal_data_say_it_was_deleted_and_when(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """The spreadsheets' addresses still downloaded files of headings only, and the mailing file's and the
    panel letters' said 'No such file': each now says the data was deleted, and on which date, and logs
    no view of it."""
    from django.utils import timezone

    forum = recruiting_forum
    lottery = letters_then_purge(forum)
    client = signed_in_client(officer)
    deleted = f"Personal data was deleted on {timezone.localdate():%-d %B %Y} under the retention schedule"
    files = [staff_url(name, forum) for name in (*EXPORTS, "panel_letters")] + [
        staff_url("lottery_file", forum, lottery_id=lottery.pk, kind=kind)
        for kind in ("mailing.csv", "letters.pdf")
    ]
    for url in files:
        response = client.get(url)
        assert response.status_code == 410, url
        assert response["Content-Type"].startswith("text/html") and deleted in response.content.decode(), url
    assert not AuditEvent.objects.filter(action="recruitment.personal_data_viewed").exists()


def test_after_the_purge_viewing_the_panel_is_not_logged_as_personal_data_viewed(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """The panel page showed only '(data deleted)' for each member, but was logged as 'Personal data
    viewed: panel list, 12 people'."""
    from civicforum.recruitment.services import privacy

    forum = pool[0].forum
    draw_panel(forum, officer)
    client = signed_in_client(officer)
    client.get(staff_url("panel", forum))
    viewed = AuditEvent.objects.filter(action="recruitment.personal_data_viewed", details__what="panel list")
    assert viewed.get().details["people"] == 12  # before the purge, names and contact details are shown
    privacy.purge_forum(forum)
    page = client.get(staff_url("panel", forum)).content.decode()
    assert "(data deleted)" in page
    assert viewed.count() == 1


def test_an_officer_confirms_before_erasing_someone_and_returns_to_the_same_page_of_the_list(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """Erasing cannot be undone, so the list's link asks first; the officer then lands where they were."""
    forum = pool[0].forum
    client = signed_in_client(officer)
    listing = client.get(staff_url("respondents", forum), {"page": 2}).content.decode()
    back = staff_url("respondents", forum) + "?page=2"
    first_link = re.search(
        rf'href="((/[^"]*/respondents/(\d+)/withdraw/)\?next={re.escape(quote(back))})"', listing
    )
    assert first_link is not None
    confirm_url, person = first_link.group(1), Respondent.objects.get(pk=first_link.group(3))
    assert first_link.group(2) == staff_url("withdraw", forum, respondent_id=person.pk)

    question = client.get(confirm_url).content.decode()
    assert f"Withdraw {person.reference} and erase their personal data?" in question
    assert "This cannot be undone" in question and f'href="{back}"' in question
    person.refresh_from_db()
    assert person.status == "registered" and person.full_name  # asking erased nothing

    response = client.post(confirm_url)
    assert response.status_code == 302 and response.url == back
    person.refresh_from_db()
    assert (person.status, person.full_name, person.email) == ("withdrawn", "", "")
    other = Respondent.objects.filter(forum=forum, status="registered").first()
    hostile = client.post(staff_url("withdraw", forum, respondent_id=other.pk) + "?next=//evil.example")
    assert hostile.url == staff_url("respondents", forum)


def test_an_officer_corrects_a_reply_recorded_by_mistake_until_a_replacement_takes_the_place(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """'Declined' sits beside 'Confirmed' on every row; a slip used to be final. It can now be changed back,
    but not once a replacement holds the place, which would put one member too many on the panel."""
    from civicforum.recruitment.models import PanelMember

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)
    member = PanelMember.objects.filter(forum=forum).order_by("id").first()
    client = signed_in_client(officer)
    status_url = staff_url("member_status", forum, member_id=member.pk)
    decline_url = staff_url("member_decline", forum, member_id=member.pk)
    client.post(decline_url, {"seen": "selected"})

    page = client.get(staff_url("panel", forum)).content.decode()
    assert f'Mark as confirmed<span class="govuk-visually-hidden"> {member.respondent.full_name}' in page
    client.post(status_url, {"status": "confirmed", "seen": "declined"})
    member.refresh_from_db()
    assert member.status == "confirmed"

    client.post(decline_url, {"seen": "confirmed"})
    run_selection(forum, officer, "legacy", seed="r", replacement=True)
    page = client.get(staff_url("panel", forum)).content.decode()
    assert f'Mark as confirmed<span class="govuk-visually-hidden"> {member.respondent.full_name}' not in page
    refused = client.post(
        status_url, {"status": "confirmed", "seen": "declined"}, follow=True
    ).content.decode()
    assert (
        f"{member.respondent.reference}’s place has gone to a replacement, so their reply can no" in refused
    )
    member.refresh_from_db()
    assert member.status == "declined"


def test_a_member_who_withdrew_after_their_invitation_cannot_be_marked_as_confirmed(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """An invited member who withdrew (declining their place and erasing their data) was still offered
    'Mark as confirmed', and the service confirmed them: a member nobody can contact, holding the place
    a replacement draw should fill. The page offers nothing for them and the service refuses, saying why."""
    from civicforum.core.models import AuditEvent
    from civicforum.recruitment.models import PanelMember
    from civicforum.recruitment.services import registration, selection

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)
    member = PanelMember.objects.filter(forum=forum).select_related("respondent").order_by("id").first()
    reference = member.respondent.reference
    registration.withdraw(member.respondent, None)
    client = signed_in_client(officer)

    page = client.get(staff_url("panel", forum)).content.decode()
    assert f'(withdrawn) <span class="govuk-hint">{reference}</span>' in page
    assert f'<span class="govuk-visually-hidden"> {reference}</span>' not in page  # no button for them
    status_url = staff_url("member_status", forum, member_id=member.pk)
    refused = client.post(status_url, {"status": "confirmed", "seen": "declined"}, follow=True)
    withdrew = (
        f"{reference} has withdrawn and their personal data was erased, so they cannot be recorded as "
        "confirmed."
    )
    assert withdrew in refused.content.decode()
    with pytest.raises(selection.MemberWithdrew, match=withdrew):
        selection.set_member_status(member, "confirmed", officer)
    member.refresh_from_db()
    assert member.status == "declined" and selection.places_to_fill(forum) == 1
    assert not AuditEvent.objects.filter(action="recruitment.member_confirmed").exists()


def test_a_member_is_marked_as_confirmed_only_once_invited_and_the_count_leaves_out_those_declined(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """The panel page offered 'Confirmed' for members never invited (and 'Change to confirmed' for one who
    declined before being invited), headed a panel of 12 with one declined 'Members (13)' after the
    replacement, and mixed 'Confirmed', 'Declined' and 'Change to declined' as button labels."""
    from civicforum.recruitment.models import PanelMember
    from civicforum.recruitment.services import selection

    forum = pool[0].forum
    draw_panel(forum, officer)
    declined, waiting = PanelMember.objects.filter(forum=forum).select_related("respondent")[:2]
    client = signed_in_client(officer)
    client.post(staff_url("member_decline", forum, member_id=declined.pk), {"seen": "selected"})
    page = client.get(staff_url("panel", forum)).content.decode()
    assert 'id="members-caption">Members (11 on the panel, 1 declined)</caption>' in page
    assert "Mark as confirmed" not in page  # not even to undo the decline of someone never invited
    run_selection(forum, officer, "legacy", seed="r", replacement=True)

    page = client.get(staff_url("panel", forum)).content.decode()
    assert 'id="members-caption">Members (12 on the panel, 1 declined)</caption>' in page
    assert "Mark as confirmed" not in page and "Change to" not in page and ">Confirmed<" not in page
    name = html.escape(waiting.respondent.full_name)
    assert f'Mark as declined<span class="govuk-visually-hidden"> {name}</span>' in page
    assert "Not invited yet: they can be marked as confirmed once invited." in page

    question = client.get(staff_url("member_decline", forum, member_id=waiting.pk)).content.decode()
    assert "They have not been invited yet. If you record this by mistake, you can put them back on the" in (
        question
    )
    assert "change it back to confirmed" not in question and "cannot be recorded as confirmed" not in question
    status_url = staff_url("member_status", forum, member_id=waiting.pk)
    refused = client.post(status_url, {"status": "confirmed", "seen": "selected"}, follow=True)
    assert "has not been invited yet, so they cannot be recorded as confirmed" in refused.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "selected"
    with pytest.raises(selection.NotInvited):
        selection.set_member_status(waiting, "confirmed", officer)

    mark_invited(forum)
    page = client.get(staff_url("panel", forum)).content.decode()
    assert f'Mark as confirmed<span class="govuk-visually-hidden"> {name}</span>' in page
    assert "Not invited yet" not in page
    client.post(status_url, {"status": "confirmed", "seen": "selected"})
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"


def test_a_member_declined_by_mistake_before_their_invitation_is_put_back_from_the_panel_page(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """A member marked as declined before being invited (say, the wrong name clicked when someone phoned
    in) was lost from the panel: the page offered nothing. 'Undo: put back on the panel' posts (with the
    CSRF token) and comes back to the panel, saying so; once a replacement has the place it is refused,
    saying why, and no longer offered."""
    from civicforum.recruitment.models import PanelMember

    forum = pool[0].forum
    draw_panel(forum, officer)
    member = PanelMember.objects.filter(forum=forum).select_related("respondent").order_by("id").first()
    client = signed_in_client(officer)
    client.post(staff_url("member_decline", forum, member_id=member.pk), {"seen": "selected"})
    put_back_url = staff_url("member_put_back", forum, member_id=member.pk)
    name = html.escape(member.respondent.full_name)
    page = client.get(staff_url("panel", forum)).content.decode()
    form = re.search(rf'<form method="post" action="{put_back_url}">(.*?)</form>', page, re.S)
    assert form is not None and 'name="csrfmiddlewaretoken"' in form[1]
    assert f'Undo: put back on the panel<span class="govuk-visually-hidden"> {name}</span>' in form[1]
    assert client.get(put_back_url).status_code == 405

    done = client.post(put_back_url, follow=True)

    assert done.redirect_chain == [(staff_url("panel", forum), 302)]
    assert f"{member.respondent.reference} is back on the panel, waiting for their invitation" in (
        done.content.decode()
    )
    member.refresh_from_db()
    assert member.status == "selected"
    assert "Undo: put back on the panel" not in done.content.decode()
    assert AuditEvent.objects.filter(action="recruitment.member_put_back", actor=officer).count() == 1

    client.post(staff_url("member_decline", forum, member_id=member.pk), {"seen": "selected"})
    run_selection(forum, officer, "legacy", seed="r", replacement=True)
    refused = client.post(put_back_url, follow=True).content.decode()
    assert f"{member.respondent.reference}’s place has gone to a replacement, so they cannot be put back" in (
        refused
    )
    assert "Undo: put back on the panel" not in refused
    member.refresh_from_db()
    assert member.status == "declined"


def test_declining_a_member_asks_first_as_it_deletes_their_support_needs_and_confirming_does_not(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """The panel page's red 'Declined' marked a member declined at one click and deleted their support
    needs (health data, gone for good). It now leads to a page naming the member and saying so, and that
    it can be undone only until someone replaces them; 'Confirmed' stays one click."""
    from civicforum.recruitment.models import PanelMember
    from civicforum.recruitment.services import registration

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)
    member, other = PanelMember.objects.filter(forum=forum).select_related("respondent").order_by("id")[:2]
    registration.change_support_needs(member.respondent, "Step-free access", officer)
    client = signed_in_client(officer)
    decline_url = staff_url("member_decline", forum, member_id=member.pk)
    panel = client.get(staff_url("panel", forum)).content.decode()
    assert f'<a href="{decline_url}" role="button"' in panel and 'value="declined"' not in panel
    refused = client.post(staff_url("member_status", forum, member_id=member.pk), {"status": "declined"})
    assert refused.status_code == 403

    question = client.get(decline_url).content.decode()

    name = html.escape(member.respondent.full_name)
    assert f"Record {name} as declined?</h1>" in question
    assert f"Any support needs recorded for {name} will be deleted straight away and cannot be" in question
    assert "change it back to confirmed on the panel page, but only until someone replaces them" in question
    warning = 'class="govuk-button govuk-button--warning" data-module="govuk-button"'
    assert f'{warning} data-prevent-double-click="true">Record as declined<' in question
    member.respondent.refresh_from_db()
    assert member.respondent.access_needs == "Step-free access"  # asking changed nothing
    assert AuditEvent.objects.filter(details__what="member decline confirmation").count() == 1

    done = client.post(decline_url, {"seen": "selected"}, follow=True).content.decode()

    reference = member.respondent.reference
    assert f"{reference} marked as declined. Any support needs they gave are deleted" in done
    member.refresh_from_db()
    member.respondent.refresh_from_db()
    assert member.status == "declined" and member.respondent.access_needs == ""
    again = client.get(decline_url, follow=True)
    assert again.redirect_chain == [(staff_url("panel", forum), 302)]
    assert "is already recorded as declined" in again.content.decode()
    confirm = {"status": "confirmed", "seen": "selected"}
    assert client.post(staff_url("member_status", forum, member_id=other.pk), confirm).status_code == 302
    other.refresh_from_db()
    assert other.status == "confirmed"


def test_a_reply_sent_online_while_the_panel_page_was_open_is_kept_until_the_officer_corrects_it(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """The officer's 'Declined' silently replaced the 'Yes' the member had sent online after the panel
    page was shown; it is now refused, saying what the member replied, and can then be pressed again."""
    from civicforum.recruitment.models import PanelMember
    from civicforum.recruitment.services import panel_invitations

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)
    member = PanelMember.objects.filter(forum=forum).select_related("respondent").order_by("id").first()
    respondent = member.respondent
    client = signed_in_client(officer)
    decline_url = staff_url("member_decline", forum, member_id=member.pk)
    page = client.get(decline_url).content.decode()
    assert 'name="seen" value="selected"' in page
    panel_invitations.reply(forum, respondent.reference, respondent.email, True, "198.51.100.7")

    refused = client.post(decline_url, {"seen": "selected"}, follow=True)

    assert (
        f"{respondent.reference} replied while your page was open: they are now recorded as ‘Confirmed’. "
        "Your change was not saved. If you still want to record them as declined, press ‘Mark as "
        "declined’ next to their name." in refused.content.decode()
    )
    member.refresh_from_db()
    assert member.status == "confirmed"
    assert f'href="{decline_url}"' in refused.content.decode()
    # The officer confirms the correction from the page now shown.
    assert 'name="seen" value="confirmed"' in client.get(decline_url).content.decode()
    client.post(decline_url, {"seen": "confirmed"})
    member.refresh_from_db()
    assert member.status == "declined"
    # 'Declined' pressed twice from that page is not a reply sent meanwhile: nothing more to record.
    again = client.post(decline_url, {"seen": "confirmed"}, follow=True).content.decode()
    assert f"{respondent.reference} marked as declined" in again and "replied while" not in again
    declined = AuditEvent.objects.filter(action="recruitment.member_declined", target_id=str(member.pk))
    assert declined.count() == 1


def test_generating_letters_again_asks_the_officer_to_confirm_the_posted_codes_will_stop_working(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """Generating again cancels every code in the files already downloaded (perhaps already posted), so
    one click on 'Generate letters' is not enough: the officer ticks that they understand."""
    client = signed_in_client(officer)
    RecruitmentSettings.objects.create(forum=forum, phone="01632 960000")
    client.post(staff_url("upload_addresses", forum), {"file": _upload(address_csv(10))})
    drawn = client.post(
        staff_url("draw_lottery", forum),
        {"address_list": forum.address_lists.get().pk, "letters": 5, "adults_per_household": 2},
    )
    letter = {"heading": "Join $forum", "body": "Dear resident,\n\nPlease register.", "reply_by": "1 May"}
    client.post(drawn.url, letter)
    lottery = forum.lotteries.get()
    codes = sorted(lottery.invitations.values_list("code_hash", flat=True))

    refused = client.post(drawn.url, letter).content.decode()
    assert "<title>Error: " in refused
    assert refused.count("Confirm that the letters already generated will stop working") == 2
    assert sorted(lottery.invitations.values_list("code_hash", flat=True)) == codes
    preview = client.post(drawn.url, {**letter, "action": "preview"})
    assert preview["Content-Type"] == "application/pdf"  # previewing changes nothing, so needs no tick

    client.post(drawn.url, {**letter, "replace_codes": "on"})
    assert sorted(lottery.invitations.values_list("code_hash", flat=True)) != codes


def _next_step(client: Any, forum: Any) -> str:
    page = client.get(staff_url("overview", forum)).content.decode()
    box = re.search(
        r'What to do next</h2>\s*<p class="govuk-body"><a class="govuk-link" href="([^"]+)">([^<]+)', page
    )
    return f"{box.group(2)} -> {box.group(1)}" if box else ""


def test_the_overview_of_a_new_forum_says_to_start_with_the_questions(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """An officer on their first forum saw eight links and no sign of which step they had reached."""
    assert _next_step(signed_in_client(officer), forum) == (
        "Add the questions registrants answer, such as age group, and their population shares -> "
        + staff_url("questions", forum)
    )


def test_the_overview_says_what_to_do_next_from_the_letters_to_inviting_the_panel(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    import random
    from datetime import UTC, datetime

    from civicforum.recruitment.models import Lottery
    from civicforum.recruitment.services import selection, synthetic

    forum, client = recruiting_forum, signed_in_client(officer)
    lottery = forum.lotteries.get()
    letters = staff_url("lottery", forum, lottery_id=lottery.pk)
    assert _next_step(client, forum) == "Write and generate the invitation letters -> " + letters
    Lottery.objects.filter(pk=lottery.pk).update(letters_status="ready")
    assert _next_step(client, forum) == (
        "Download the letters and send them; registrations will appear below -> " + letters
    )
    close_registration(forum)
    assert _next_step(client, forum) == (
        "Open registration in the recruitment settings before the letters arrive -> "
        + staff_url("settings", forum)
    )
    invitations = list(lottery.invitations.select_related("address")[:120])
    synthetic.populate_pool(forum, invitations, 150, datetime(2026, 11, 2, tzinfo=UTC), random.Random(4))
    set_quotas = "Set the quotas and run the selection -> " + staff_url("quotas", forum)
    assert _next_step(client, forum) == set_quotas
    open_registration(forum)
    assert _next_step(client, forum) == (
        "When enough people have registered, close registration: the panel is drawn from a fixed pool -> "
        + staff_url("settings", forum)
    )
    close_registration(forum)
    run = draw_panel(forum, officer)
    assert _next_step(client, forum) == (
        "Check the selection and publish the selection record -> " + staff_url("run", forum, run_id=run.pk)
    )
    selection.publish(run, officer)
    assert _next_step(client, forum) == "Invite the selected members -> " + staff_url("invite_panel", forum)


def test_what_to_do_next_says_a_stuck_selection_has_stopped_rather_than_to_wait(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """A run whose worker was killed never finishes, yet the overview said to wait for it, for ever; its
    page says what to do (check the worker, or start a new run)."""
    from datetime import timedelta

    from django.utils import timezone

    from civicforum.recruitment.models import SelectionRun
    from civicforum.recruitment.services import selection

    forum, client = pool[0].forum, signed_in_client(officer)
    forum.lotteries.update(letters_status="ready")
    quotas.propose_quotas(forum, officer, slack=2)
    run = selection.start_run(forum, officer, "legacy")
    run_page = staff_url("run", forum, run_id=run.pk)
    assert _next_step(client, forum) == "Wait for the selection to finish -> " + run_page

    SelectionRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - timedelta(minutes=6))

    assert _next_step(client, forum) == "The selection seems to have stopped: see what to do -> " + run_page


def test_what_to_do_next_never_asks_to_invite_members_the_invite_page_cannot_invite(
    pool: Any, officer: Any
) -> None:
    """A selected member whose registration is gone (the purge deletes it) has no name or address to
    write to, so the invite page invites nobody; 'what to do next' counted who was still to invite its
    own way and kept asking to invite them. It now asks the invite page's own ``awaiting_invitation``."""
    from civicforum.recruitment.models import PanelMember
    from civicforum.recruitment.services import panel_invitations, selection
    from civicforum.recruitment.services.next_step import next_step

    forum = pool[0].forum
    forum.lotteries.update(letters_status="ready")
    publish_selection(forum, officer, seed="s")
    run = selection.latest_run(forum)
    done_so_far = {"has_questions": True, "has_address_list": True, "lottery": forum.lotteries.first()}
    assert next_step(forum, False, run, True, **done_so_far) == (
        "Invite the selected members",
        staff_url("invite_panel", forum),
    )

    PanelMember.objects.filter(forum=forum).update(respondent=None)

    assert not panel_invitations.awaiting_invitation(forum).exists()
    assert next_step(forum, False, run, True, **done_so_far) is None


def test_publishing_the_selection_record_asks_the_officer_to_confirm_first(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """A published record is never withdrawn (it is the public's check on the draw), so one click
    on the run page no longer publishes it."""
    from civicforum.recruitment.models import SelectionRun

    forum = pool[0].forum
    run = draw_panel(forum, officer, seed="check-first")
    client = signed_in_client(officer)
    refused = client.post(staff_url("run", forum, run_id=run.pk), {})
    page = refused.content.decode()
    assert refused.status_code == 200 and "<title>Error: Selection run" in page
    assert 'href="#id_understood">Confirm that you have checked the run before publishing its record' in page
    assert SelectionRun.objects.get(pk=run.pk).published_at is None
    client.post(staff_url("run", forum, run_id=run.pk), {"understood": "on"})
    assert SelectionRun.objects.get(pk=run.pk).published_at is not None


@pytest.mark.parametrize("stage", ["recruitment", "deliberation"])
def test_publishing_the_selection_record_moves_a_forum_still_at_recruitment_on_to_selection(
    signed_in_client: Any, pool: Any, officer: Any, stage: str
) -> None:
    """The public forum page said 'Recruitment: in progress, Selection: not started' after the panel was
    drawn and its record published, until the officer found where to change the stage. A forum the
    officer has moved further on stays where it is."""
    from civicforum.core.models import AuditEvent
    from civicforum.processes.models import Forum

    forum = pool[0].forum
    Forum.objects.filter(pk=forum.pk).update(current_stage=stage)
    run = draw_panel(forum, officer, seed="stage")
    client = signed_in_client(officer)
    page = client.post(staff_url("run", forum, run_id=run.pk), {"understood": "on"}, follow=True)
    moved = "The forum has moved on from the Recruitment stage to Selection" in page.content.decode()
    assert moved == (stage == "recruitment")
    assert Forum.objects.get(pk=forum.pk).current_stage == ("selection" if moved else stage)
    because = AuditEvent.objects.filter(action="forum.updated").values_list("details__because", flat=True)
    assert ("the selection was published" in because) == moved
    public = " ".join(client.get(reverse("processes:forum", args=[forum.slug])).content.decode().split())
    stages = re.findall(r'<li class="govuk-task-list__item.*?</li>', public)
    selection_stage = next(stage for stage in stages if "Selection" in stage)
    assert ("In progress" in selection_stage) == moved


def test_answers_and_support_needs_stay_encrypted_where_a_page_only_names_or_contacts_someone(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """Ethnicity, disability and support needs are decrypted to count the pool and draw the panel, never
    to flag a possible duplicate, record who was drawn, list or invite the panel or record a reply; and
    never beside a name."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civicforum.recruitment.models import PanelMember
    from civicforum.recruitment.services import registration, selection

    def reads_about_the_person(queries: CaptureQueriesContext) -> int:
        """SELECTs that decrypt someone's support needs or sessions, or their answers beside their name
        (counting the answers of the pool or the panel reads no name)."""
        column = '"recruitment_respondent"."{}"'.format
        selects = [
            q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
        ]
        return sum(
            column("access_needs") in sql
            or column("availability") in sql
            or column("answers") in sql
            and column("full_name") in sql
            for sql in selects
        )

    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    run = selection.start_run(forum, officer, "legacy")
    with CaptureQueriesContext(connection) as drawn:
        selection.execute_run(run.pk)
        selection.draw(run, "s", "", officer)
    assert PanelMember.objects.filter(forum=forum).count() == 12
    assert reads_about_the_person(drawn) == 0
    client = signed_in_client(officer)
    member = PanelMember.objects.filter(forum=forum).first()
    first, second = Invitation.objects.filter(lottery__forum=forum, respondents=None)[:2]
    open_registration(forum)  # for late registrants
    with CaptureQueriesContext(connection) as named:
        assert client.get(staff_url("panel", forum)).status_code == 200
        invite_and_send(forum, officer)  # the letters and emails too
        status = staff_url("member_status", forum, member_id=member.pk)
        assert client.post(status, {"status": "confirmed", "seen": "selected"}).status_code == 302
        ada = registration.Registration("Ada King", "ada@example.org")
        registration.register(forum, first, ada)
        flagged = registration.register(forum, second, ada)
    assert flagged.possible_duplicate_of is not None
    assert reads_about_the_person(named) == 0
    member.refresh_from_db()
    assert member.status == "confirmed"


def test_letter_references_are_never_shared_and_old_letters_still_work_by_phone(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """References ran the forum and lottery numbers together: forum 1001's lottery 10 and forum 100's
    lottery 110 both printed L100110-00001, so the second of those draws failed. Letters already posted
    keep the old form, and an officer taking a call can still find them by it."""
    forum = recruiting_forum
    first_letters = {
        civic_lottery.invitation_reference(forum_id, lottery_id, 1)
        for forum_id in range(1, 1200)
        for lottery_id in range(1, 130)
    }
    assert len(first_letters) == 1199 * 129
    assert forms.CodeForm({"code": civic_lottery.invitation_reference(123456, 1234567, 100000)}).is_valid()
    lottery = forum.lotteries.get()
    drawn = lottery.invitations.order_by("reference").first()
    assert drawn.reference == f"L{forum.pk:03d}-{lottery.pk:02d}-00001"
    posted = Invitation.objects.filter(lottery=lottery).exclude(pk=drawn.pk).first()
    posted.reference = f"L{forum.pk:03d}{lottery.pk:02d}-00007"  # a letter printed before the change
    posted.save()
    client = signed_in_client(officer)
    client.get(staff_url("phone_registration", forum))

    step = client.post(
        reverse("recruitment:register_step", args=[forum.slug, "code"]), {"code": posted.reference}
    )

    assert step.status_code == 302 and step.url.endswith("/age/")


def test_letters_whose_web_address_cannot_be_printed_in_full_are_refused_saying_what_to_do(
    signed_in_client: Any, pool: Any, officer: Any, settings: Any
) -> None:
    """With a long forum slug on a council's long domain, the letters' web address was cut with "…" to
    fit its box: residents got letters (and panel members their invitations) with an address that went
    nowhere. Nothing is written or queued, and the officer is told whom to ask for a shorter address."""
    from civicforum.recruitment.models import InvitationBatch
    from civicforum.recruitment.services import selection

    forum = pool[0].forum
    selection.publish(draw_panel(forum, officer), officer)
    forum.slug = (
        "northam-town-centre-harbourside-and-riverside-neighbourhoods-future-citizens-forum-2027-spring"
    )
    forum.save(update_fields=["slug"])
    RecruitmentSettings.objects.filter(forum=forum).update(phone="01632 960000")
    domain = "citizens-assembly.north-northamptonshire-borough-council.gov.uk"
    settings.ALLOWED_HOSTS = [domain]
    client = signed_in_client(officer)
    client.defaults["HTTP_HOST"] = domain
    lottery = forum.lotteries.get()
    letter = {"heading": "Join $forum", "body": "Dear resident,\n\nPlease register.", "reply_by": "1 May"}
    pages = {
        "letters": client.post(staff_url("lottery", forum, lottery_id=lottery.pk), letter),
        "preview": client.post(
            staff_url("lottery", forum, lottery_id=lottery.pk), {**letter, "action": "preview"}
        ),
        "invitations": client.post(staff_url("invite_panel", forum), SEND_INVITATIONS),
    }
    for kind, response in pages.items():
        page = response.content.decode()
        assert response.status_code == 200 and "text/html" in response["Content-Type"], kind
        assert f"The web address on the letters, http://{domain}/forums/{forum.slug}/" in page, kind
        assert "Ask your site administrator to give this forum a shorter web address" in page, kind
        assert list(response.context["form"].errors) == ["__all__"], kind  # not the letter's text
    lottery.refresh_from_db()
    assert lottery.letters_status == "not_started" and not InvitationBatch.objects.exists()


def test_letters_print_the_sites_public_address_not_the_host_the_officer_browses_on(
    signed_in_client: Any, pool: Any, officer: Any, settings: Any
) -> None:
    """An officer on the council's internal host name (which the site also answers to) got letters
    printing that host, which residents cannot reach; CIVICFORUM_PUBLIC_URL names the public one."""
    from pypdf import PdfReader

    forum = pool[0].forum
    RecruitmentSettings.objects.filter(forum=forum).update(phone="01632 960000")
    settings.ALLOWED_HOSTS = ["forum-admin.internal", "forum.northam.gov.uk"]
    settings.CIVICFORUM_PUBLIC_URL = "https://forum.northam.gov.uk/"
    client = signed_in_client(officer)
    client.defaults["HTTP_HOST"] = "forum-admin.internal"
    lottery = forum.lotteries.get()
    letter = {"heading": "Join $forum", "body": "Dear resident,\n\nPlease register.", "reply_by": "1 May"}
    preview = client.post(staff_url("lottery", forum, lottery_id=lottery.pk), {**letter, "action": "preview"})
    text = PdfReader(io.BytesIO(preview.content)).pages[0].extract_text()
    assert f"https://forum.northam.gov.uk/forums/{forum.slug}/register/" in text.replace("\n", "")
    assert "internal" not in text


def test_the_letters_page_shows_the_web_address_the_letters_will_print(
    signed_in_client: Any, pool: Any, officer: Any, settings: Any
) -> None:
    """The address printed on every letter was seen only by opening the PDF: an officer browsing on an
    internal host name (or the server's own address) generated and posted letters residents could not
    follow. The page says which address the letters print before they are generated."""
    forum = pool[0].forum
    settings.ALLOWED_HOSTS = ["forum-admin.internal"]
    client = signed_in_client(officer)
    client.defaults["HTTP_HOST"] = "forum-admin.internal"
    lottery = forum.lotteries.get()
    page = client.get(staff_url("lottery", forum, lottery_id=lottery.pk)).content.decode()
    assert (
        f'register at <strong class="civicforum-break">http://forum-admin.internal/forums/{forum.slug}/register/</strong>'
        in page
    )
    settings.CIVICFORUM_PUBLIC_URL = "https://forum.northam.gov.uk"
    page = client.get(staff_url("lottery", forum, lottery_id=lottery.pk)).content.decode()
    assert (
        f'register at <strong class="civicforum-break">https://forum.northam.gov.uk/forums/{forum.slug}/register/</strong>'
        in page
    )


def test_a_reply_by_date_the_panel_letters_cannot_print_whole_is_the_reply_by_box_s_error(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """A date within 40 characters but of wide letters does not fit its line of the letters' box even at
    7 points, where it was cut with "…": the invite page refuses it at its box, and invites nobody."""
    from civicforum.recruitment.models import InvitationBatch
    from civicforum.recruitment.services import selection

    forum = pool[0].forum
    selection.publish(draw_panel(forum, officer), officer)
    response = signed_in_client(officer).post(
        staff_url("invite_panel", forum), {**SEND_INVITATIONS, "reply_by": "WWWWWWWWW " * 4}
    )
    assert response.context["form"].errors == {
        "reply_by": [
            "Reply by is too long to print in full on the letters: write it shorter, for example "
            "18 December 2026"
        ]
    }
    assert not InvitationBatch.objects.exists()


# An address line of a list imported before the importer refused lines too long for the envelope window.
OLD_LONG_LINE = "Flat 12, Harbour View Court, The Old Customs House and Chandlery Buildings, Quay Street West"


def _stored_before_the_importer_refused(lottery: Any, count: int) -> list[Any]:
    """``count`` of ``lottery``'s addresses given a line the importer now refuses, as if stored before."""
    invitations = list(lottery.invitations.select_related("address").order_by("reference")[:count])
    for invitation in invitations:
        invitation.address.address_line_2 = OLD_LONG_LINE
        invitation.address.save(update_fields=["address_line_2"])
    return invitations


def test_letters_refuse_stored_address_lines_the_importer_now_refuses_naming_each_letter(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """A list imported before the importer refused lines too long for the envelope window had them wrap
    in the window. Generating the letters checks the stored addresses by the importer's rule first:
    the page names each letter and UPRN, says what to do, and no code changes (no task, no files)."""
    lottery = recruiting_forum.lotteries.get()
    bad = _stored_before_the_importer_refused(lottery, 2)
    codes = list(lottery.invitations.order_by("pk").values_list("code_hash", flat=True))
    letter = {"heading": "Join $forum", "body": "Dear resident,\n\nPlease register.", "reply_by": "1 May"}
    url = staff_url("lottery", recruiting_forum, lottery_id=lottery.pk)
    response = signed_in_client(officer).post(url, letter)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200 and "<title>Error: " in page
    assert list(response.context["form"].errors) == ["__all__"]
    assert "2 address lines of this draw are too long for one line of the envelope window" in page
    assert "split the line over address_line_2 or address_line_3, or shorten it" in page
    for invitation in bad:
        assert (
            f"etter {invitation.reference} (UPRN {invitation.address.uprn}): address_line_2 is too long "
            f"for one line of the letters' envelope window ({len(OLD_LONG_LINE)} characters, where about"
        ) in page
    lottery.refresh_from_db()
    assert lottery.letters_status == "not_started" and lottery.letters_generation == 0
    assert list(lottery.invitations.order_by("pk").values_list("code_hash", flat=True)) == codes


def test_the_site_administrator_corrects_a_stored_address_line_found_by_uprn_and_the_letters_go(
    signed_in_client: Any, recruiting_forum: Any, user_with_role: Any
) -> None:
    """The letters page asks the site administrator to correct such a line in the site's administration
    (Addresses, search by UPRN): there it is found, split over address_line_3, and the draw's letters
    then pass the check."""
    lottery = recruiting_forum.lotteries.get()
    [invitation] = _stored_before_the_importer_refused(lottery, 1)
    address = invitation.address
    client = signed_in_client(user_with_role("superuser", recruiting_forum))
    found = client.get(reverse("admin:recruitment_address_changelist"), {"q": address.uprn})
    assert found.status_code == 200 and list(found.context["cl"].result_list) == [address]
    head, tail = OLD_LONG_LINE.rsplit(", ", 2)[0], ", ".join(OLD_LONG_LINE.rsplit(", ", 2)[1:])
    changed = client.post(
        reverse("admin:recruitment_address_change", args=[address.pk]),
        {"address_line_1": address.address_line_1, "address_line_2": head, "address_line_3": tail},
    )
    assert changed.status_code == 302
    address.refresh_from_db()
    assert (address.address_line_2, address.address_line_3) == (head, tail)
    assert civic_lottery.unprintable_addresses(lottery) == []


def test_panel_invitations_refuse_a_letter_whose_name_and_address_cannot_print_legibly_naming_the_member(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """A member registered before the name form refused names too long for the envelope window, and one
    whose address list was imported before the importer refused long lines: their letters would print
    below 7 points or wrap an address line. The invite page names both and what to do, before any batch
    (whose letters are written before its emails go) is made; once corrected, the invitations go."""
    from civicforum.recruitment.models import InvitationBatch
    from civicforum.recruitment.services import selection

    forum = pool[0].forum
    selection.publish(draw_panel(forum, officer), officer)
    first, second = forum.panel_members.select_related("respondent__invitation__address").order_by("id")[:2]
    first.respondent.full_name = "W" * 200
    first.respondent.save(update_fields=["full_name"])
    address = first.respondent.invitation.address
    address.address_line_2, address.address_line_3 = "Flat 1", "Harbour View"
    address.town = "Northam"
    address.save()
    second.respondent.invitation.address.address_line_2 = OLD_LONG_LINE
    second.respondent.invitation.address.save(update_fields=["address_line_2"])
    client = signed_in_client(officer)

    response = client.post(staff_url("invite_panel", forum), SEND_INVITATIONS)
    page = html.unescape(response.content.decode())
    assert list(response.context["form"].errors) == ["__all__"] and "<title>Error: " in page
    assert "The invitations cannot be sent: each member's letter must print their name and address" in page
    assert "2 problems stop that. For an address line, ask your site administrator to correct" in page
    assert (
        f"{first.respondent.reference}: their name and address need more than the 9 lines the envelope "
        "window holds at a readable size"
    ) in page
    assert f"{second.respondent.reference}: address_line_2 is too long for one line of the" in page
    assert not InvitationBatch.objects.exists()

    first.respondent.full_name = "Ann Wynne"
    first.respondent.save(update_fields=["full_name"])
    second.respondent.invitation.address.address_line_2 = "Flat 12"
    second.respondent.invitation.address.save(update_fields=["address_line_2"])
    assert client.post(staff_url("invite_panel", forum), SEND_INVITATIONS).status_code == 302
    assert InvitationBatch.objects.count() == 1
