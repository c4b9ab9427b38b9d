"""Counts of failed attempts (wrong registration codes, wrong passwords) kept in Django's cache.

The cache is a database table (``settings.CACHES``), so every worker process shares the counts and a
restart does not reset them. What is counted is hashed: the keys hold no address or username.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

WINDOW_SECONDS = 15 * 60


def key(scope: str, who: str) -> str:
    return f"{scope}:" + hashlib.sha256(who.encode()).hexdigest()


def is_limited(scope: str, who: str, most: int) -> bool:
    """Whether ``who`` has failed ``most`` times or more in the window that began with their first failure."""
    return int(cache.get(key(scope, who), 0)) >= most


def count_failure(scope: str, who: str) -> None:
    name = key(scope, who)
    if cache.add(name, 1, WINDOW_SECONDS):
        return
    try:
        cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, WINDOW_SECONDS)
