"""An officer corrects someone's name or contact details when they ask (UK GDPR right to rectification)."""

import re
from typing import Any
from urllib.parse import quote

import pytest
from tests.recruitment.conftest import staff_url

from civicforum.core import audit
from civicforum.core.models import AuditEvent
from civicforum.recruitment.models import Respondent
from civicforum.recruitment.services import registration

pytestmark = pytest.mark.django_db


def details_page(forum: Any, respondent: Any) -> str:
    return staff_url("correct_details", forum, respondent_id=respondent.pk)


def test_an_officer_corrects_a_misspelt_name_and_an_email_the_invitation_could_not_reach(
    pool: Any, officer: Any, signed_in_client: Any
) -> None:
    forum = pool[0].forum
    client = signed_in_client(officer)
    listing = client.get(staff_url("respondents", forum) + "?page=2").content.decode()
    link = re.findall(r'href="([^"]*/respondents/(\d+)/details/[^"]*)">Correct details', listing)[0]
    person = Respondent.objects.get(pk=link[1])
    assert link[0] == details_page(forum, person) + "?next=" + quote(
        staff_url("respondents", forum) + "?page=2"
    )
    form = client.get(link[0]).content.decode()
    assert f'value="{person.email}"' in form and 'autocomplete="off"' in form
    assert f'href="{staff_url("respondents", forum)}?page=2">Cancel' in form
    assert AuditEvent.objects.filter(
        action="recruitment.personal_data_viewed", details__what="registration details"
    ).exists()

    posted = {"full_name": "Siân O'Brien", "email": "sian.obrien@example.org", "phone": person.phone}
    response = client.post(link[0], posted, follow=True)
    assert response.redirect_chain[-1][0] == staff_url("respondents", forum) + "?page=2"
    assert f"Details of {person.reference} corrected" in response.content.decode()
    corrected = Respondent.objects.get(pk=person.pk)
    assert (corrected.full_name, corrected.email, corrected.phone) == (
        "Siân O'Brien",
        "sian.obrien@example.org",
        person.phone,
    )
    # Registering again under the corrected name or email is found as the same person.
    assert corrected.email_hash == registration.email_hash("Sian.OBrien@example.org ")
    assert corrected.identity_hash == registration.identity_hash(
        "siân o'brien", corrected.invitation.address.uprn
    )
    event = AuditEvent.objects.get(action="recruitment.details_corrected")
    assert event.details == {"fields": ["full_name", "email"]} and event.target_label == person.reference
    summary = audit.summarise(event.action, event.details)
    assert summary == "‘Name’, ‘Email address’" and "example.org" not in str(event.details)


def test_a_correction_is_checked_as_registering_checks_it_and_nothing_is_saved_when_refused(
    pool: Any, officer: Any, signed_in_client: Any
) -> None:
    forum = pool[0].forum
    person = Respondent.objects.get(pk=pool[0].pk)
    client = signed_in_client(officer)
    for posted, error in (
        ({"full_name": "W" * 200, "email": person.email}, "Name is too long to print"),
        (
            {"full_name": "Ann Other", "email": "", "phone": ""},
            "Enter an email address or a phone number, so that the council",
        ),
        ({"full_name": "Ann Other", "email": "not an email"}, "Enter an email address in the correct format"),
        (
            {"full_name": "", "email": person.email},
            "Enter their full name",
        ),
    ):
        page = client.post(details_page(forum, person), posted)
        assert page.status_code == 200 and error in page.content.decode(), posted
        assert page.content.decode().count("Error: ") == 1
    unchanged = Respondent.objects.get(pk=person.pk)
    assert (unchanged.full_name, unchanged.email) == (person.full_name, person.email)
    assert not AuditEvent.objects.filter(action="recruitment.details_corrected").exists()


def test_a_correction_that_makes_two_registrations_alike_flags_the_later_as_a_possible_duplicate(
    pool: Any, officer: Any
) -> None:
    first, later = (Respondent.objects.get(pk=p.pk) for p in pool[:2])
    Respondent.objects.filter(pk__in=[first.pk, later.pk]).update(possible_duplicate_of=None)
    later.refresh_from_db()
    assert registration.correct_details(
        later, officer, full_name=later.full_name, email=first.email, phone=""
    )
    assert Respondent.objects.get(pk=later.pk).possible_duplicate_of_id == first.pk
    assert (
        registration.correct_details(later, officer, full_name=later.full_name, email=first.email, phone="")
        == []
    )


def test_a_correction_after_the_person_withdrew_writes_nothing_back(pool: Any, officer: Any) -> None:
    """Withdrawal erases the details under the forum's lock; a correction sent from a page opened before
    finds them erased and does not put a name back."""
    person = Respondent.objects.get(pk=pool[0].pk)
    registration.withdraw(Respondent.objects.get(pk=person.pk), officer)
    assert (
        registration.correct_details(person, officer, full_name="Ann Other", email="a@example.org", phone="")
        is None
    )
    erased = Respondent.objects.get(pk=person.pk)
    assert (erased.full_name, erased.email, erased.status) == ("", "", "withdrawn")


def test_someone_who_phones_is_found_by_the_reference_however_they_read_it_out(
    pool: Any, officer: Any, signed_in_client: Any
) -> None:
    """1,000 registrations are 20 pages: the reference from the person's confirmation finds them, typed
    loosely ('r mbhvel3h'), and a reference nobody has says so, without a table of nobody."""
    forum = pool[0].forum
    person = Respondent.objects.filter(forum=forum).last()  # on the last page of the list
    client = signed_in_client(officer)
    loosely = person.reference.lower().replace("-", " ")
    page = client.get(staff_url("respondents", forum), {"reference": loosely}).content.decode()
    assert f"Showing the registration with the reference {person.reference}." in page
    assert "1 person</caption>" in page and page.count('<tr class="govuk-table__row">') == 2  # head, person
    found = quote(staff_url("respondents", forum) + "?reference=" + loosely.replace(" ", "+"))
    assert f'href="{details_page(forum, person)}?next={found}">Correct details' in page
    logged = AuditEvent.objects.filter(action="recruitment.personal_data_viewed").latest("pk")
    assert logged.details == {"what": "respondent list", "people": 1}
    missing = client.get(staff_url("respondents", forum), {"reference": "R-AAAAAAAA"}).content.decode()
    assert "Nobody has registered with the reference R-AAAAAAAA." in missing and "<table" not in missing
    assert AuditEvent.objects.filter(action="recruitment.personal_data_viewed").latest("pk") == logged
