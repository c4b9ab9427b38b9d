"""The web addresses printed on letters and sent in emails: residents must reach them from home.

An officer may be browsing on an internal host name (``intranet-forum.council.local``) that the site
also answers to; an address built from their request would print that host on every letter. With
``CIVICFORUM_PUBLIC_URL`` set, addresses for residents and new accounts are built from it instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register
from django.http import HttpRequest


def public_address(request: HttpRequest, path: str) -> str:
    """The full address of ``path`` (a site-absolute path such as ``/forums/x/register/``) as the public
    reaches it: on ``CIVICFORUM_PUBLIC_URL`` when set, else on the host the request came to."""
    base = settings.CIVICFORUM_PUBLIC_URL.rstrip("/")
    return base + path if base else request.build_absolute_uri(path)


@register()
def public_url_is_an_address(app_configs: object, **kwargs: object) -> list[Error]:
    base = settings.CIVICFORUM_PUBLIC_URL
    parts = urlsplit(base)
    # Only a site's root: reverse() already puts any prefix the site is served under in each path.
    if not base or (parts.scheme in ("http", "https") and parts.netloc and parts.path in ("", "/")):
        return []
    return [
        Error(
            f"CIVICFORUM_PUBLIC_URL is {base!r}, which is not a web address letters can print.",
            hint="Set it to the site's public address with https:// and no path, for example "
            "https://forum.northam.gov.uk",
            id="core.E001",
        )
    ]
