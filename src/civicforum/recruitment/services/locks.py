"""The one lock that orders the officer's and residents' changes to a forum's recruitment.

Starting or saving a draw, drawing the address lottery, a registration (online or by phone), withdrawing,
replying, recording a reply, inviting the panel (and putting its letters in place), changing quotas,
changing or removing a question and the retention purge each lock the forum's row first in their
transaction, before writing anything. Two
of them for one forum then run one after the other (a second press finds the first's result), and since
the forum's row is always the first lock taken, no two can wait on each other.
"""

from __future__ import annotations

from civicforum.processes.models import Forum


def lock_forum(forum_id: int) -> None:
    """Inside a transaction: wait for any other change to the forum's recruitment, then hold it off."""
    Forum.objects.select_for_update().get(pk=forum_id)
