"""A date typed into day, month and year boxes gets one message that names the date and says what to do."""

from __future__ import annotations

from datetime import date

import pytest

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
