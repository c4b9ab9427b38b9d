"""One clear GOV.UK message per field: a box that is too long says only that, whatever else is wrong."""

from typing import Any

import pytest
from django.urls import reverse

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
    assert form.errors["reply_by"] == ["Reply by must be 60 characters or fewer"]


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
