"""The resident's public pages in Chromium as someone on a small phone, or at 400% zoom, meets them."""

from __future__ import annotations

from typing import Any

import pytest
from tests.factories import make_forum

from civicforum.recruitment.services import quotas, selection

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}  # also what a 1280 px wide screen shows at 400% zoom
# The spacing WCAG 1.4.12 says a reader may set without losing content.
TEXT_SPACING = (
    "* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }"
    " p { margin-bottom: 2em !important; }"
)


def page_scrolls_sideways(page: Any) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth")


def test_the_selection_record_reflows_on_a_small_phone(
    page: Any, live_server: Any, axe_check: Any, pool: Any, officer: Any
) -> None:
    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    run = selection.start_run(forum, officer, "legacy", seed="public-seed")
    selection.execute_run(run.pk)
    run.refresh_from_db()
    selection.publish(run, officer)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/forums/{forum.slug}/selection-record/")
    assert not page_scrolls_sideways(page)
    table_box = page.get_by_role("region", name="Panel composition")
    table_box.focus()  # keyboard users can scroll the table inside its box
    assert table_box.evaluate("box => box.scrollWidth > box.clientWidth")
    axe_check(page)


def test_the_forum_page_reflows_with_wider_text_spacing_on_a_small_phone(page: Any, live_server: Any) -> None:
    forum = make_forum(title="Town centres forum")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + forum.get_absolute_url())
    page.add_style_tag(content=TEXT_SPACING)
    assert not page_scrolls_sideways(page)
