"""What an officer should do next on a forum's recruitment, for the overview's 'What to do next' box.

The overview lists every step; an officer running their first forum still needs to be told which one
they are on, and a step that is done (letters generated, record published) looks like any other link.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from civicforum.recruitment.models import LetterStatus, Lottery, RunStatus, SelectionRun
from civicforum.recruitment.services import panel_invitations, selection


def next_step(
    forum: Any,
    registration_open: bool,
    run: SelectionRun | None,
    anyone_registered: bool,
    *,
    has_questions: bool,
    has_address_list: bool,
    lottery: Lottery | None,
) -> tuple[str, str] | None:
    """The first step not yet done, as (what to do, where), or None once the panel has been invited and
    registration closed. The overview shows every argument too, so it passes what it has already read:
    ``run`` is the forum's latest selection run (``selection.latest_run``), ``anyone_registered`` whether
    anyone has registered (even if they withdrew since), ``has_questions`` and ``has_address_list``
    whether the forum has any, and ``lottery`` its latest address lottery."""

    def url(name: str, **kwargs: Any) -> str:
        return reverse(f"recruitment:{name}", kwargs={"forum_slug": forum.slug, **kwargs})

    if not has_questions:
        return "Add the questions registrants answer, such as age group, and their population shares", url(
            "questions"
        )
    if not has_address_list:
        return "Upload the address list the letters will go to", url("upload_addresses")
    if lottery is None:
        return "Draw the address lottery: the addresses that get a letter", url("draw_lottery")
    if lottery.letters_status != LetterStatus.READY:
        return "Write and generate the invitation letters", url("lottery", lottery_id=lottery.pk)
    if run is None and not anyone_registered:
        if not registration_open:
            return "Open registration in the recruitment settings before the letters arrive", url("settings")
        return "Download the letters and send them; registrations will appear below", url(
            "lottery", lottery_id=lottery.pk
        )
    if (run is None or run.status == RunStatus.FAILED) and registration_open:
        return (
            "When enough people have registered, close registration: the panel is drawn from a fixed pool",
            url("settings"),
        )
    if run is None or run.status == RunStatus.FAILED:
        return "Set the quotas and run the selection", url("quotas")
    if run.status == RunStatus.COMMITTED:
        return "Enter the draw code to draw the panel from the lottery", url("run", run_id=run.pk)
    if run.status != RunStatus.DONE:
        if run.looks_stuck(timezone.now()):  # its worker was killed: waiting would be for ever
            return "The selection seems to have stopped: see what to do", url("run", run_id=run.pk)
        return "Wait for the selection to finish", url("run", run_id=run.pk)
    if not run.is_replacement and run.published_at is None:
        return "Check the selection and publish the selection record", url("run", run_id=run.pk)
    if panel_invitations.awaiting_invitation(forum).exists():
        return "Invite the selected members", url("invite_panel")
    if selection.places_to_fill(forum):
        return "Draw replacements for the members who declined", url("start_selection") + "?replacements=1"
    if registration_open:
        return (
            "Close registration: the panel has been chosen, so people registering now could only ever be "
            "drawn as replacements",
            url("settings"),
        )
    return None
