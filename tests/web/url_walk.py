"""Every named URL of the site with the parameters and expected answers from the role-matrix tables.

Used by the role matrix test and by the browser test that runs axe-core on every public page.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from tests.web import role_matrix

SKIPPED_NAMESPACES = {"admin"}  # Django's own admin has its own tests


def named_urls(resolver: URLResolver, namespace: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.extend(named_urls(entry, inner))
        elif entry.name:
            found.append((f"{namespace}{entry.name}", entry))
    return found


def _matrix_modules() -> list[Any]:
    """This directory's table plus any ``tests/<app>/role_matrix.py`` other apps provide."""
    modules = [role_matrix]
    for path in sorted(Path(__file__).resolve().parents[1].glob("*/role_matrix.py")):
        if path.parent.name != "web":
            modules.append(importlib.import_module(f"tests.{path.parent.name}.role_matrix"))
    return modules


def _merged() -> tuple[dict[str, dict[str, object]], list[Any]]:
    expected: dict[str, dict[str, object]] = {}
    kwarg_makers = []
    for module in _matrix_modules():
        expected.update(module.EXPECTED)
        if hasattr(module, "url_kwargs"):
            kwarg_makers.append(module.url_kwargs)
    return expected, kwarg_makers


EXPECTED, KWARG_MAKERS = _merged()


def urls_to_walk(forum: Any) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, path) for every URL with expectations and parameters; problems for the rest."""
    kwargs: dict[str, object] = {}
    for make_kwargs in KWARG_MAKERS:
        kwargs.update(make_kwargs(forum))
    walk, problems = [], []
    for name, pattern in named_urls(get_resolver()):
        params = re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))
        missing = [param for param in params if param not in kwargs]
        if name not in EXPECTED:
            problems.append(f"{name}: no expected answers (add it to EXPECTED in tests/<app>/role_matrix.py)")
        elif missing:
            problems.append(
                f"{name}: no value for {missing} (add them to url_kwargs in tests/<app>/role_matrix.py)"
            )
        else:
            walk.append((name, reverse(name, kwargs={param: kwargs[param] for param in params})))
    return walk, problems


# Served as files to save, not pages: a browser navigating to one aborts the navigation.
DOWNLOADS = {"source_code"}


def public_pages(forum: Any) -> list[str]:
    """The paths of every page anyone may open without signing in (downloads left out)."""
    walk, _ = urls_to_walk(forum)
    return [url for name, url in walk if EXPECTED[name]["anonymous"] == 200 and name not in DOWNLOADS]
