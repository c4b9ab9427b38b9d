"""Guessing staff passwords: after a few wrong ones an account's sign-in pauses, whatever the address."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from tests.factories import PASSWORD, make_user

from civicforum.core.forms import MAX_FAILED_SIGN_INS

pytestmark = pytest.mark.django_db


def test_after_too_many_wrong_passwords_even_the_right_one_waits(client: Any) -> None:
    make_user(username="officer@council.example")
    other = make_user(username="other@council.example")
    for number in range(MAX_FAILED_SIGN_INS):
        wrong = {"username": "Officer@Council.example", "password": f"guess-{number}"}
        page = client.post(reverse("login"), wrong, REMOTE_ADDR=f"203.0.113.{number}").content.decode()
        assert "Enter a correct username and password" in page
    right = {"username": "officer@council.example", "password": PASSWORD}
    page = client.post(reverse("login"), right).content.decode()
    assert (
        "There have been too many wrong passwords for this account: wait 15 minutes and try again, or ask "
        "your council administrator for help</a>" in page
    )
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("login"), {"username": other.username, "password": PASSWORD})
    assert response.status_code == 302  # other accounts are not affected
