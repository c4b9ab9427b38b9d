"""Every page about one forum names that forum in its <title> (WCAG 2.4.2 Page Titled): an officer running two
forums, with a tab open for each, or moving through their browser history, tells 'Quotas' of one from the
other, and a screen reader announces which forum a page is about when it opens."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from tests.factories import make_forum, make_user_with_role
from tests.web.url_walk import urls_to_walk


def test_every_page_of_a_forum_names_the_forum_in_its_title(client: Any, db: Any) -> None:
    forum = make_forum(title="Parks forum")
    client.force_login(make_user_with_role("officer", forum))
    walk, _ = urls_to_walk(forum)
    checked, unnamed = 0, []
    for name, path in walk:
        if f"/{forum.slug}/" not in path:
            continue
        response = client.get(path)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        checked += 1
        title = unescape(re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)[1]).strip()
        if "Parks forum" not in title:
            unnamed.append(f"{name} ({path}): {title!r}")
    assert checked >= 30, f"only {checked} pages of the forum answered 200"
    assert not unnamed, "these titles do not say which forum the page is about:\n" + "\n".join(unnamed)
