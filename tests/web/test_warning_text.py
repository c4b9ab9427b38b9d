"""GOV.UK warning text comes from one include, whether its words are plain or hold a link."""

from __future__ import annotations

from pathlib import Path

from django.template import Context, Template
from django.template.loader import render_to_string

import civicforum

INCLUDE = "core/includes/warning_text.html"


def test_every_warning_is_drawn_by_the_one_include() -> None:
    """The warning's markup (icon, hidden 'Warning', bold text) was pasted into eleven places in nine
    templates, so a change to GOV.UK's pattern had to be made, and checked, in each of them."""
    app_root = Path(civicforum.__file__).parent
    templates = [path for path in app_root.rglob("*.html") if "templates" in path.parts]
    markup = [
        str(path.relative_to(app_root)) for path in templates if "govuk-warning-text" in path.read_text()
    ]
    assert markup == [f"core/templates/{INCLUDE}"]


def test_a_warning_holding_a_link_is_drawn_as_a_plain_one_and_escapes_what_it_is_given() -> None:
    plain = render_to_string(INCLUDE, {"text": "Check the quotas"})
    linked = 'Check the <a href="/q">quotas</a>{{ who }}'
    tagged = Template("{% load civicforum %}{% warning_text %}" + linked + "{% endwarning_text %}")
    rendered = tagged.render(Context({"who": "<b>"}))
    assert '<span class="govuk-visually-hidden">Warning</span>Check the quotas</strong></div>' in plain
    assert rendered == plain.replace("Check the quotas", 'Check the <a href="/q">quotas</a>&lt;b&gt;')
