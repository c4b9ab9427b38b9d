"""A draw keeps the quotas it was drawn with: its page and published record show them, whatever the
quotas page says later, and the quotas cannot change while a draw reads them."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from tests.recruitment.conftest import draw_panel, finish_run, run_selection

from civicforum.recruitment.models import MemberStatus, PanelMember, QuotaCategory
from civicforum.recruitment.services import quotas, registration, selection

pytestmark = pytest.mark.django_db


def _quotas_url(forum: Any) -> str:
    return reverse("recruitment:quotas", kwargs={"forum_slug": forum.slug})


def _saved_boxes(forum: Any) -> dict[str, str]:
    return {
        box.id: box.typed
        for table in quotas.quota_tables(forum)
        for row in table.rows
        for box in (row.minimum, row.maximum)
    }


def test_the_selection_record_shows_the_quotas_the_panel_was_drawn_with(
    client: Any, signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """Quotas changed after the draw but before publishing appeared on the public record as the targets
    the panel was drawn to meet; the record (page and distribution.json) and the run page now show the
    quotas the draw used."""
    forum = pool[0].forum
    run = draw_panel(forum, officer, seed="public-seed")
    woman = QuotaCategory.objects.get(question__forum=forum, question__key="gender", key="woman")
    assert (woman.min_members, woman.max_members) == (4, 9)
    officer_client = signed_in_client(officer)
    changed = _saved_boxes(forum) | {f"min-{woman.pk}": "7", f"max-{woman.pk}": "8"}
    saved = officer_client.post(_quotas_url(forum), {"action": "save", "save-understood": "on", **changed})
    assert saved.status_code == 302
    woman.refresh_from_db()
    assert (woman.min_members, woman.max_members) == (7, 8)  # the quotas page has the new quotas

    run_page = officer_client.get(reverse("recruitment:run", args=[forum.slug, run.pk])).context["targets"]
    assert [(r["min"], r["max"]) for r in run_page if r["category"] == "Woman"] == [(4, 9)]
    selection.publish(run, officer)
    record = client.get(reverse("recruitment:selection_record", args=[forum.slug])).context["composition"]
    download = client.get(reverse("recruitment:selection_distribution", args=[forum.slug])).json()
    woman_row = [(r["target"], r["count"]) for r in record if r["category"] == "Woman"]
    assert woman_row == [("4 to 9", "7")]
    assert [r["target"] for r in download["composition"] if r["answer"] == "Woman"] == ["4 to 9"]


def test_changing_the_quotas_after_a_draw_asks_the_officer_to_confirm_the_panel_keeps_the_old_ones(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    forum = pool[0].forum
    draw_panel(forum, officer, seed="public-seed")
    client = signed_in_client(officer)
    page = client.get(_quotas_url(forum)).content.decode()
    assert (
        "with the quotas as they were then. If you change them, that panel and its selection record" in page
    )
    assert "start the selection again afterwards" in page
    north = QuotaCategory.objects.get(question__forum=forum, question__key="ward", label="North Ward")
    changed = _saved_boxes(forum) | {f"min-{north.pk}": "9", f"max-{north.pk}": "10"}
    refused = client.post(_quotas_url(forum), {"action": "save", **changed})
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "Confirm that you understand the panel already drawn keeps its quotas" in text
    assert 'href="#id_save-understood"' in text  # the error summary links to the box to tick
    north.refresh_from_db()
    assert (north.min_members, north.max_members) == (4, 8)
    proposed = client.post(_quotas_url(forum), {"action": "propose", "slack": "1"})
    assert "Confirm that you understand" in proposed.content.decode()
    north.refresh_from_db()
    assert (north.min_members, north.max_members) == (4, 8)


def test_the_quotas_cannot_change_while_a_draw_is_queued_or_running(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """The draw reads the quotas when it begins; a change while it was queued was drawn with but never
    shown, or shown but never drawn with."""
    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    run = selection.start_run(forum, officer, "legacy")
    client = signed_in_client(officer)
    page = client.get(_quotas_url(forum)).content.decode()
    assert "cannot be changed until the draw has finished. Wait for the draw to finish" in page
    assert reverse("recruitment:run", args=[forum.slug, run.pk]) in page
    assert "Save quotas and check" not in page and "Propose quotas" not in page
    north = QuotaCategory.objects.get(question__forum=forum, question__key="ward", label="North Ward")
    changed = _saved_boxes(forum) | {f"min-{north.pk}": "9"}
    client.post(_quotas_url(forum), {"action": "save", **changed})
    north.refresh_from_db()
    assert north.min_members == 4
    with pytest.raises(quotas.QuotasInUse):
        quotas.propose_quotas(forum, officer, slack=1)
    finish_run(run, officer)
    assert "Save quotas and check" in client.get(_quotas_url(forum)).content.decode()


def test_a_run_page_and_its_record_count_the_panel_that_draw_chose_not_the_panel_now(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """'The panel against the quotas it was drawn with' counted today's members: after a decline, a
    withdrawal (which erases the answers) or a replacement draw, it no longer showed the run's draw, and
    the record published later showed yet other numbers than selected.csv's panel."""
    forum = pool[0].forum
    run = draw_panel(forum, officer, seed="public-seed")
    run_url = reverse("recruitment:run", args=[forum.slug, run.pk])
    client = signed_in_client(officer)
    drawn = client.get(run_url).context["targets"]
    assert drawn == selection.panel_against_targets(forum, run.targets)  # the panel is still the draw's
    assert (
        "The panel this draw chose, against the quotas it was drawn with"
        in client.get(run_url).content.decode()
    )

    first, second = PanelMember.objects.filter(forum=forum).select_related("respondent")[:2]
    selection.set_member_status(first, MemberStatus.DECLINED, officer)
    registration.withdraw(second.respondent, officer)
    assert selection.panel_against_targets(forum, run.targets) != drawn
    assert client.get(run_url).context["targets"] == drawn

    replacements = run_selection(forum, officer, "legacy", seed="r", replacement=True)
    assert replacements.status == "done"
    assert client.get(run_url).context["targets"] == drawn
    selection.publish(run, officer)
    run.refresh_from_db()
    assert run.published_composition == drawn
    assert client.get(run_url).context["targets"] == drawn
