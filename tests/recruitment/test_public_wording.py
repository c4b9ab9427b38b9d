"""Content rules every page a resident sees must keep: the browser tab says where they are (the <title>
starts with the page's heading), no unexplained jargon, and the forum's pages say how to get help."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.urls import reverse
from tests.factories import make_forum
from tests.web.url_walk import EXPECTED, urls_to_walk

from civicforum.recruitment.models import Invitation, RecruitmentSettings
from civicforum.recruitment.services import civic_lottery
from civicforum.recruitment.views.registration import _steps

pytestmark = pytest.mark.django_db

# Words GOV.UK's style would have us avoid on public pages. Allowed only where the page explains them
# by name, in quotes (‘leximin’), or as text to type (<code>).
JARGON = ["quota", "stratified", "sortition", "respondent", "algorithm", "leximin", "commitment", "seed"]


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def resident_pages(client: Any, forum: Any, phone: str = "") -> dict[str, str]:
    """Every page an anonymous visitor can open (on a forum the role matrix fills), each of ``forum``'s
    registration steps (as asked and with its errors) and the 'cannot take part' page, by name. Both
    forums get ``phone`` as their number for help."""
    walk, _ = urls_to_walk(make_forum())
    RecruitmentSettings.objects.update(phone=phone)
    urls = [url for name, url in walk if EXPECTED[name]["anonymous"] == 200] + ["/no-such-page/"]
    pages = {url: client.get(url) for url in urls}
    code = civic_lottery.issue_code(Invitation.objects.filter(lottery__forum=forum).first())
    client.post(reverse("recruitment:register_step", args=[forum.slug, "code"]), {"code": code})
    for step in _steps(forum):
        url = reverse("recruitment:register_step", args=[forum.slug, step])
        pages[url] = client.get(url)
        pages[f"{url} (errors)"] = client.post(url, {})
    pages["cannot take part"] = client.post(
        reverse("recruitment:register_step", args=[forum.slug, "age"]), {"answer": "no"}
    )
    return {
        name: response.content.decode()
        for name, response in pages.items()
        if response.get("Content-Type", "").startswith("text/html") and response.status_code != 302
    }


def test_every_resident_page_title_starts_with_its_heading(client: Any, recruiting_forum: Any) -> None:
    wrong = []
    for name, page in resident_pages(client, recruiting_forum).items():
        title = text_of(re.search(r"<title>(.*?)</title>", page, re.S).group(1)).removeprefix("Error: ")
        heading = text_of(re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1))
        if not title.startswith(heading):
            wrong.append(f"{name}: title {title!r}, heading {heading!r}")
    assert not wrong, "\n".join(wrong)


def test_no_resident_page_uses_unexplained_jargon(client: Any, recruiting_forum: Any) -> None:
    found = []
    for name, page in resident_pages(client, recruiting_forum).items():
        visible = re.sub(r"<code[^>]*>.*?</code>|‘[^’]*’", " ", page.split("<body", 1)[1], flags=re.S)
        for word in JARGON:
            for match in re.finditer(rf"\b{word}\w*", text_of(visible), re.IGNORECASE):
                found.append(f"{name}: {match.group(0)}")
    assert not found, "\n".join(found)


def test_every_forum_page_a_resident_reaches_gives_the_number_to_call(
    client: Any, recruiting_forum: Any
) -> None:
    pages = resident_pages(client, recruiting_forum, phone="01632 960 000")
    forum_pages = {
        name: page
        for name, page in pages.items()
        if re.search(r"/register|/panel/|selection-record|cannot take part|^/forums/[^/]+/$", name)
    }
    missing = [name for name, page in forum_pages.items() if "need help, call 01632 960 000" not in page]
    assert len(forum_pages) >= 10 and not missing, missing


def test_the_consent_step_gives_the_date_answers_are_deleted_and_what_encrypted_means(
    client: Any, recruiting_forum: Any
) -> None:
    """The privacy notice names the retention date; the page where people agree must not say otherwise."""
    from datetime import date

    RecruitmentSettings.objects.filter(forum=recruiting_forum).update(retention_until=date(2027, 3, 31))
    consent = resident_pages(client, recruiting_forum)[
        reverse("recruitment:register_step", args=[recruiting_forum.slug, "consent"])
    ]
    assert "We delete everything on 31 March 2027." in consent
    assert "stored in a scrambled form (encrypted)" in consent


def test_every_privacy_notice_states_residents_rights_and_how_to_complain_to_the_ico(
    client: Any, recruiting_forum: Any
) -> None:
    """The notices said only that a resident could withdraw: UK GDPR (articles 13 and 14) asks a privacy
    notice to say their rights and that they may complain to the ICO. Both notices include one text."""
    for url, ask in (
        (reverse("privacy"), "To ask, contact the council that runs the forum."),
        (
            reverse("recruitment:privacy", args=[recruiting_forum.slug]),
            f"To ask, contact {recruiting_forum.council.name} on 01632 960000.",
        ),
    ):
        response = client.get(url)
        assert "core/includes/privacy_rights.html" in [t.name for t in response.templates], url
        page = text_of(response.content.decode())
        for right in ("access", "rectification", "erasure", "restriction"):
            assert f"(the right {'of' if right == 'access' else 'to'} {right})" in page, (url, right)
        assert "(the right to object)" in page and ask in page
        assert "Information Commissioner’s Office (ICO)" in page and "helpline: 0303 123 1113" in page
        assert 'href="https://ico.org.uk/make-a-complaint/">ico.org.uk/make-a-complaint</a>' in (
            response.content.decode()
        )
    # Nobody is asked whether they may be contacted again, so no notice may say it keeps data if they agree.
    assert "unless you agree" not in text_of(client.get(reverse("privacy")).content.decode())
