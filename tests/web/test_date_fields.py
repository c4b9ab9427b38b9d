"""A date typed into day, month and year boxes gets one message that names the date and says what to do."""

from __future__ import annotations

from datetime import date

import pytest

from civicforum.core.error_summary import form_errors
from civicforum.core.forms import GovUKDateField, GovUKForm


class StartForm(GovUKForm):
    starts_on = GovUKDateField(label="Start date", required=False)


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("1", "3", "27", "Start date must include a year with 4 numbers, like 2027"),
        ("1", "3", "20270", f"Start date must include a year with 4 numbers, like {date.today().year}"),
        ("x", "3", "2027", "Start date must be a real date"),
        ("x", "y", "z", "Start date must be a real date"),
        ("31", "2", "2027", "Start date must be a real date"),
    ],
)
def test_a_date_that_is_not_real_or_has_a_short_year_gets_one_message_naming_it(
    day: str, month: str, year: str, message: str
) -> None:
    form = StartForm({"starts_on_0": day, "starts_on_1": month, "starts_on_2": year})
    assert form.errors["starts_on"] == [message]


class EndForm(GovUKForm):
    ends_on = GovUKDateField(label="End date")  # required, like a forum's dates


@pytest.mark.parametrize(
    ("day", "month", "year", "message", "box"),
    [
        ("30", "9", "", "End date must include a year", "id_ends_on_2"),
        ("", "9", "", "End date must include a day and year", "id_ends_on_0"),
        ("30", "", "2027", "End date must include a month", "id_ends_on_1"),
        ("", "", "", "Enter the end date", "id_ends_on_0"),
    ],
)
def test_a_required_date_half_typed_says_what_is_missing_and_links_to_that_box(
    day: str, month: str, year: str, message: str, box: str
) -> None:
    """A forum's start or end date typed without its year said 'Enter the end date', as if nothing had
    been typed, and its error summary link went to the day box, already filled in. GOV.UK asks for
    'must include a year', linked to the box to fill in, as an optional date already said."""
    form = EndForm({"ends_on_0": day, "ends_on_1": month, "ends_on_2": year})
    assert form.errors["ends_on"] == [message]
    assert form_errors(form) == [(message, box)]
