"""Officer pages say weeks, counts and chances the way a council officer reads them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from tests.recruitment.conftest import publish_selection

from civicforum.recruitment import forms
from civicforum.recruitment.models import RecruitmentSettings, SelectionRun

pytestmark = pytest.mark.django_db


def test_the_overview_gives_weeks_as_dates_and_counts_with_thousands_separators(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """The overview read '2026-W45' for a week and '1200' for a count."""
    kept = {
        "registered": 1200,
        "withdrawn": 3,
        "by_ward": {"North Ward": 1100, "South Ward": 100},
        "by_week": {"2026-W45": 1150, "2026-W46": 50},
        "by_answer": {"gender": {"woman": 1050, "man": 150}},
        "panel": {},
    }
    RecruitmentSettings.objects.filter(forum=recruiting_forum).update(
        purged_at=timezone.now(), retained_aggregates=kept
    )
    url = reverse("recruitment:overview", args=[recruiting_forum.slug])
    page = signed_in_client(officer).get(url).content.decode()
    assert '<span class="govuk-heading-xl govuk-!-margin-bottom-0">1,200</span>registered' in page
    assert "W45" not in page and "2026-W" not in page
    assert '<th scope="row" class="govuk-table__header">Week of 2 November 2026</th>' in page
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">1,150</td>' in page  # that week
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">1,100</td>' in page  # North Ward
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">1,050</td>' in page  # women
    assert ">Week of 9 November 2026</text>" in page and ">1,150</text>" in page  # the charts too
    assert re.search(r">1200\b", page) is None


def test_the_run_page_names_the_method_and_gives_every_chance_as_a_percentage(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """The page read 'Algorithm: legacy' and 'Selection probability: lowest 0.0067, highest 0.1433', its
    histogram labelled chances '0.000–0.014' and its full list '0.0667'."""
    forum = pool[0].forum
    publish_selection(forum, officer, seed="s")
    run = SelectionRun.objects.get(forum=forum)
    page = signed_in_client(officer).get(reverse("recruitment:run", args=[forum.slug, run.pk]))
    text = page.content.decode()
    assert "Method: Legacy." in text and "Algorithm:" not in text
    assert re.search(
        r"chance of being selected</dt><dd [^>]+>lowest \d+\.\d\d%, highest \d+\.\d\d%</dd>", text
    )
    labels = [bar.label for bar in page.context["histogram"]]
    assert labels and all(re.fullmatch(r"\d+\.\d\d%–\d+\.\d\d%", label) for label in labels), labels
    assert f'<td class="govuk-table__cell">{labels[0]}</td>' in text and f">{labels[-1]}</text>" in text
    chances = [chance for _reference, chance in page.context["probabilities"]]
    assert all(re.fullmatch(r"\d+\.\d\d%", chance) for chance in chances), chances[:3]
    assert not re.search(r">0\.\d{3}", text)


def test_the_address_list_page_says_what_each_column_holds_and_where_the_list_comes_from(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """It listed 'uprn', 'lsoa' and 'deprivation_decile' with no word of what they are, though the officer
    asks another team for the file and the lottery's 'more letters to deprived areas' needs the deciles."""
    url = reverse("recruitment:upload_addresses", args=[forum.slug])
    page = signed_in_client(officer).get(url).content.decode()
    assert "address gazetteer (the LLPG)" in page
    assert "Unique Property Reference Number" in page
    assert "Lower layer Super Output Area" in page
    assert "English Indices of Deprivation" in page
    assert "Needed to send more letters to deprived areas" in page


def test_the_run_page_and_the_selection_record_name_the_fingerprint_and_the_draw_code_alike(
    signed_in_client: Any, pool: Any, officer: Any, client: Any
) -> None:
    """The run page said 'Commitment (SHA-256)' and 'Seed' for what the public record, which residents ask
    the officer about, calls the fingerprint of the possible panels and the draw code."""
    forum = pool[0].forum
    publish_selection(forum, officer, seed="lottery 3 14 15 92")
    run = SelectionRun.objects.get(forum=forum)
    record = client.get(reverse("recruitment:selection_record", args=[forum.slug])).content.decode()
    run_page = reverse("recruitment:run", args=[forum.slug, run.pk])
    page = signed_in_client(officer).get(run_page).content.decode()
    for name in ("Fingerprint of the possible panels", "Draw code"):
        assert f'<dt class="govuk-summary-list__key">{name}' in record
        assert f'<dt class="govuk-summary-list__key">{name}' in page
    assert "Commitment (SHA-256)</dt>" not in page and ">Seed</dt>" not in page
    code = forms.DrawForm().fields["code"]  # where the officer types it, once the fingerprint is shown
    assert code.label == "Draw code" and "anyone checking the draw will type it" in code.help_text


def test_a_new_forum_s_overview_says_nothing_has_come_in_yet_instead_of_empty_tables(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """Before any letter or registration the overview showed the ward and week tables with their headings
    and no rows, which read as if something had failed to load."""
    page = signed_in_client(officer).get(reverse("recruitment:overview", args=[forum.slug])).content.decode()
    assert "No letters have been sent yet." in page and "No one has registered yet." in page
    assert "Registrations and response rate by ward" not in page and "Registrations by week" not in page
