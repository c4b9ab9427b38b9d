"""Times on public and staff pages read as GOV.UK writes them."""

from datetime import UTC, datetime

import pytest
from django.test import override_settings

from civicforum.core.templatetags.civicforum import clock_time


@pytest.mark.parametrize(
    ("hour", "minute", "shown"),
    [(13, 19, "1:19pm"), (9, 5, "9:05am"), (12, 0, "midday"), (0, 0, "midnight"), (0, 30, "12:30am")],
)
@override_settings(TIME_ZONE="UTC")
def test_a_time_reads_as_gov_uk_writes_it(hour: int, minute: int, shown: str) -> None:
    assert clock_time(datetime(2026, 11, 28, hour, minute, tzinfo=UTC)) == shown


@override_settings(TIME_ZONE="Europe/London")
def test_a_time_is_shown_in_the_council_s_time_zone() -> None:
    """British Summer Time: 12:30 UTC on 1 July is 1:30pm in London."""
    assert clock_time(datetime(2026, 7, 1, 12, 30, tzinfo=UTC)) == "1:30pm"
