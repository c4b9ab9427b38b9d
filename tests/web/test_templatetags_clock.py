"""Times on public and staff pages read as GOV.UK writes them."""

from datetime import UTC, datetime

import pytest
from django.test import override_settings

from civicforum.core.templatetags.civicforum import date_and_time


@pytest.mark.parametrize(
    ("hour", "minute", "shown"),
    [(13, 19, "1:19pm"), (9, 5, "9:05am"), (12, 0, "midday"), (0, 0, "midnight"), (0, 30, "12:30am")],
)
@override_settings(TIME_ZONE="UTC")
def test_a_time_reads_as_gov_uk_writes_it(hour: int, minute: int, shown: str) -> None:
    assert date_and_time(datetime(2026, 11, 28, hour, minute, tzinfo=UTC)) == f"28 November 2026 at {shown}"


@override_settings(TIME_ZONE="Europe/London")
def test_a_time_is_shown_in_the_council_s_time_zone() -> None:
    """British Summer Time: 23:30 UTC on 1 July is 12:30am on 2 July in London."""
    assert date_and_time(datetime(2026, 7, 1, 23, 30, tzinfo=UTC)) == "2 July 2026 at 12:30am"
