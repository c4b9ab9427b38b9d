"""The officer's first steps: import the address list, draw the lottery, produce the letters."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone

from civicforum.core import audit
from civicforum.recruitment.models import (
    Address,
    AddressList,
    Invitation,
    LetterStatus,
    Lottery,
    RecruitmentSettings,
)
from civicforum.recruitment.services import codes
from civicforum.recruitment.services.addresses import PRINTED_COLUMNS, printed_line_problem, read_address_csv
from civicforum.recruitment.services.blockers import Blocker
from civicforum.recruitment.services.letters import Letter, LetterDesign, write_letters
from civicforum.recruitment.services.locks import lock_forum
from civicforum.recruitment.services.lottery import LotteryAddress, LotteryError, draw_addresses, new_seed
from civicforum.recruitment.services.mailing import mailing_csv
from civicforum.wording import counted

logger = logging.getLogger(__name__)

BULK_BATCH = 2000


def import_addresses(forum: Any, user: Any, data: bytes, filename: str) -> AddressList:
    """Validate the whole file first (raises ``FileRejected``), then store it in one transaction."""
    records = read_address_csv(data, filename)
    with transaction.atomic():
        address_list = AddressList.objects.create(
            forum=forum, filename=filename[:255], uploaded_by=user, address_count=len(records)
        )
        Address.objects.bulk_create(
            (
                Address(
                    address_list=address_list,
                    uprn=r.uprn,
                    address_line_1=r.address_line_1,
                    address_line_2=r.address_line_2,
                    address_line_3=r.address_line_3,
                    town=r.town,
                    postcode=r.postcode,
                    ward=r.ward,
                    lsoa=r.lsoa,
                    deprivation_decile=r.deprivation_decile,
                )
                for r in records
            ),
            batch_size=BULK_BATCH,
        )
        audit.record(
            user, "recruitment.addresses_imported", forum=forum, target=address_list, count=len(records)
        )
    return address_list


def remove_address_list(address_list: AddressList, user: Any) -> None:
    """Delete a list uploaded by mistake, with its addresses, while no letters were drawn from it (raises
    ``LotteryError`` otherwise: the draws' record and the letters sent need it). Under the forum's lock,
    as a draw takes it, so a draw cannot start from a list being deleted."""
    with transaction.atomic():
        lock_forum(address_list.forum_id)
        if address_list.lotteries.exists():
            raise LotteryError(
                f"Letters were drawn from ‘{address_list.filename}’, so it is kept: the record of the draw "
                "and the letters sent need it. Its addresses are deleted with the rest of the registration "
                "data on the date set in the recruitment settings"
            )
        audit.record(
            user,
            "recruitment.addresses_removed",
            forum=address_list.forum,
            target=address_list,
            file=address_list.filename,
            count=address_list.address_count,
        )
        address_list.delete()


def addresses_by_ward(address_list: AddressList) -> list[tuple[str, int]]:
    """Each ward of a list with its number of addresses, by name: letters are shared out per ward, so
    the officer checks them after an upload (a ward of a handful of addresses is usually a misspelling)."""
    rows = address_list.addresses.order_by("ward").values("ward").annotate(count=Count("id"))
    return [(row["ward"], row["count"]) for row in rows]


def _invited_uprns(forum: Any, through: Lottery | None = None) -> QuerySet[Invitation, str]:
    """The UPRNs with a letter from the forum's draws (``through``: from that draw and those before it)."""
    invitations = Invitation.objects.filter(lottery__forum=forum)
    if through is not None:
        invitations = invitations.filter(lottery__pk__lte=through.pk)
    return invitations.values_list("address__uprn", flat=True)


def wards_every_address_sent(lottery: Lottery) -> list[str]:
    """The wards of ``lottery``'s draw in which it left no address of its list without a letter: where
    letters were weighted towards deprived areas, those wards got fewer than their weighted share, and
    the other wards the rest (``lottery.allocate_by_weight``), which the officer should know. Empty once
    the purge deleted the addresses."""
    addresses = lottery.address_list.addresses
    left = addresses.exclude(uprn__in=_invited_uprns(lottery.forum_id, through=lottery))
    remaining = set(left.values_list("ward", flat=True).distinct())
    return sorted(set(lottery.letters_per_ward) - remaining) if addresses.exists() else []


def already_invited(forum: Any) -> set[str]:
    """The UPRNs of the addresses that have a letter from one of the forum's draws."""
    return set(_invited_uprns(forum))


def already_invited_count(forum: Any) -> int:
    """How many addresses ``already_invited`` holds, counted by the database (tens of thousands)."""
    return _invited_uprns(forum).distinct().count()


def invitation_reference(forum_id: int, lottery_id: int, index: int) -> str:
    """The reference printed on a letter: 'L001-07-00042' is letter 42 of lottery 7 of forum 1.

    The dashes keep references apart for any ids. Letters drawn before had the forum and lottery run
    together ('L00107-00042'), which let forum 1001's lottery 10 and forum 100's lottery 110 share
    references; those already printed keep theirs and still work, as they have one dash, never two.
    """
    return f"L{forum_id:03d}-{lottery_id:02d}-{index:05d}"


class LotteryAlreadyDrawn(Exception):
    """The forum's addresses were drawn since the officer opened the page; ``lottery`` is that draw."""

    def __init__(self, lottery: Lottery) -> None:
        super().__init__("These addresses were drawn a moment ago, perhaps by a colleague")
        self.lottery = lottery


def draw_lottery(
    forum: Any,
    user: Any,
    address_list: AddressList,
    count: int,
    seed: str = "",
    decile_weights: dict[int, float] | None = None,
    adults_per_household: int = 2,
    seen_latest: int | None = None,
) -> Lottery:
    """Draw ``count`` addresses (raises ``LotteryError``) and create one invitation per address.

    Addresses that already have a letter from an earlier draw of this forum are left out (matched by
    UPRN, so also from a list uploaded again): a household drawn twice would get two codes, so more
    places in the pool and a better chance of selection than its neighbours.

    Two officers pressing "Draw addresses" at once, or one pressing it twice, draw once: the forum's row
    is locked while this reads the earlier draws and saves the new one, and ``seen_latest`` (the id of the
    forum's latest lottery when the page was shown, 0 for none) tells a press made before a draw that
    happened meanwhile: it raises ``LotteryAlreadyDrawn`` with that draw.
    """
    with transaction.atomic():
        lock_forum(forum.pk)
        latest = forum.lotteries.order_by("-pk").first()
        if seen_latest is not None and latest is not None and latest.pk != seen_latest:
            raise LotteryAlreadyDrawn(latest)
        invited = already_invited(forum)
        addresses = [
            row
            for row in address_list.addresses.values_list("id", "uprn", "ward", "deprivation_decile")
            if row[1] not in invited
        ]
        if invited and not addresses:
            raise LotteryError(
                f"Every address in the list ‘{address_list.filename}’ already has a letter from an earlier "
                "draw, so no more can be drawn from it. Choose another list, or upload one with addresses "
                "that have not had a letter"
            )
        if invited and count > len(addresses):
            raise LotteryError(
                f"Number of letters must be {len(addresses):,} or fewer: the other addresses in the list "
                "already have a letter from an earlier draw"
            )
        id_of = {uprn: pk for pk, uprn, _ward, _decile in addresses}
        seed = seed or new_seed()
        weights = decile_weights or {}
        draw = draw_addresses([LotteryAddress(u, w, d) for _pk, u, w, d in addresses], count, seed, weights)
        lottery = Lottery.objects.create(
            forum=forum,
            address_list=address_list,
            letters_requested=count,
            seed=seed,
            decile_weights={str(k): v for k, v in weights.items()},
            letters_per_ward=dict(draw.letters_per_ward),
            drawn_by=user,
        )
        Invitation.objects.bulk_create(
            (
                Invitation(
                    lottery=lottery,
                    address_id=id_of[uprn],
                    reference=invitation_reference(forum.pk, lottery.pk, index),
                    max_adults=adults_per_household,
                )
                for index, uprn in enumerate(draw.uprns, start=1)
            ),
            batch_size=BULK_BATCH,
        )
        audit.record(
            user,
            "recruitment.lottery_drawn",
            forum=forum,
            target=lottery,
            letters=count,
            seed=seed,
            decile_weights=lottery.decile_weights,
            left_out_from_earlier_draws=len(invited),
        )
    return lottery


def forum_directory(forum: Any) -> Path:
    """Where a forum's generated files live (outside the web root: downloads go through audited views)."""
    return Path(settings.MEDIA_ROOT) / "recruitment" / f"forum-{forum.pk}"


def letters_directory(lottery: Lottery) -> Path:
    return forum_directory(lottery.forum) / f"lottery-{lottery.pk}"


def letter_design(lottery: Lottery, registration_url: str) -> LetterDesign:
    forum = lottery.forum
    settings_row = RecruitmentSettings.objects.filter(forum=forum).first()
    design = LetterDesign(
        council_name=forum.council.name,
        forum_title=forum.title,
        registration_url=registration_url,
        phone=settings_row.phone if settings_row else "",
        logo=bytes(settings_row.logo) if settings_row and settings_row.logo else None,
        households=lottery.letters_requested,
    )
    # Every letter of a draw admits the number of adults set when it was drawn.
    adults = lottery.invitations.values_list("max_adults", flat=True).first()
    if adults:
        design = replace(design, adults=adults)
    overrides = {"heading": lottery.letter_heading, "body": lottery.letter_body, "reply_by": lottery.reply_by}
    return replace(design, **{field: text for field, text in overrides.items() if text})


def letters_blocker(forum: Any, settings_row: RecruitmentSettings) -> Blocker | None:
    """Why the letters cannot be generated now (None: they can). Without the phone number in the
    recruitment settings the letters print none, though they tell residents they can register by phone or
    call for another format: those who cannot register online would be left out once they are posted."""
    if settings_row.phone:
        return None
    return Blocker(
        "No phone number for registering by phone is set, so the letters would not say which number to "
        "call, although they tell residents they can register by phone. Add it before you generate the "
        "letters.",
        "Add the phone number in the recruitment settings",
        reverse("recruitment:settings", kwargs={"forum_slug": forum.slug}),
    )


def preview_letter(design: LetterDesign) -> bytes:
    """One letter with a made-up address and code, so the officer can check the text before printing."""
    sample = Letter("PREVIEW", ("The Householder", "1 Example Street", "Northam", "NM1 1AA"), "ABCDE-FGHJK")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "preview.pdf"
        write_letters(path, design, [sample])
        return path.read_bytes()


def line_problems(values: Iterable[str], checked: dict[str, str | None]) -> list[str]:
    """What breaks the importer's rule for the envelope window (``addresses.printed_line_problem``) in an
    address's ``PRINTED_COLUMNS`` ``values``, as 'address_line_2 is too long ...'. ``checked`` keeps each
    value's answer across addresses: towns and streets repeat, so each is measured once."""
    found = []
    for column, value in zip(PRINTED_COLUMNS, values, strict=True):
        if value not in checked:
            checked[value] = printed_line_problem(value)
        if checked[value]:
            found.append(f"{column} {checked[value]}")
    return found


def unprintable_addresses(lottery: Lottery) -> list[str]:
    """Each line of the draw's stored addresses that breaks the importer's rule for the envelope window
    (``line_problems``), as 'letter L001-07-00042 (UPRN 1042): address_line_2 is too long ...'. A list
    imported before the importer had the rule still holds such lines."""
    columns = [f"address__{column}" for column in PRINTED_COLUMNS]
    rows = lottery.invitations.order_by("reference").values_list("reference", "address__uprn", *columns)
    checked: dict[str, str | None] = {}
    return [
        f"letter {reference} (UPRN {uprn}): {problem}"
        for reference, uprn, *values in rows.iterator(chunk_size=BULK_BATCH)
        for problem in line_problems(values, checked)
    ]


LISTED = 20  # the problems a message names; the rest are counted


def listed(problems: list[str]) -> str:
    """The first ``LISTED`` of ``problems`` as a sentence, the rest counted."""
    text = "; ".join(problems[:LISTED])
    if len(problems) > LISTED:
        text += f"; and {counted(len(problems) - LISTED, 'more', 'more')}"
    return f"{text[0].upper()}{text[1:]}."


# What a site administrator does about a stored address line too long for the envelope window.
CORRECT_ADDRESS_LINE = (
    "Ask your site administrator to correct them in the site's administration (Addresses, search by "
    "UPRN): split the line over address_line_2 or address_line_3, or shorten it."
)


def unprintable_message(problems: list[str]) -> str:
    """What ``unprintable_addresses`` found (its first ``LISTED`` problems by name), and what to do."""
    return (
        f"{counted(len(problems), 'address line', 'address lines')} of this draw "
        f"{'is' if len(problems) == 1 else 'are'} too long for one line of the envelope window, where Royal "
        "Mail needs the address whole and legible (the address list was imported before the importer "
        f"refused such lines). {CORRECT_ADDRESS_LINE} Then generate the letters again. {listed(problems)}"
    )


class LettersBusy(Exception):
    """The lottery's letters are already being generated: a second generation would cancel its codes."""


class _Superseded(Exception):
    """A newer request to generate the letters replaced the one this task was running."""


def request_letters(lottery: Lottery, user: Any) -> int:
    """Save the letter's text and claim the next generation of the letters (raises ``LettersBusy``).

    Returns the generation's number for ``generate_letters``. Two officers pressing "Generate letters"
    at once, or one pressing twice, must start one generation: each gives every household a new code,
    and two at once would leave files whose codes do not work. Letters that look stuck (their worker
    died) may be generated again.
    """
    with transaction.atomic():
        current = Lottery.objects.select_for_update().get(pk=lottery.pk)
        if current.letters_status == LetterStatus.RUNNING and not current.letters_look_stuck(timezone.now()):
            raise LettersBusy(
                "These letters are already being generated, perhaps by a colleague. Wait for them to "
                "finish: this page shows their progress."
            )
        lottery.letters_generation = current.letters_generation + 1
        lottery.letters_status = LetterStatus.RUNNING
        lottery.letters_done = 0
        lottery.letters_error = ""
        lottery.letters_updated_at = timezone.now()
        lottery.save(
            update_fields=[
                "letter_heading",
                "letter_body",
                "reply_by",
                "letters_generation",
                "letters_status",
                "letters_done",
                "letters_error",
                "letters_updated_at",
            ]
        )
        audit.record(user, "recruitment.letters_requested", forum=lottery.forum, target=lottery)
    return lottery.letters_generation


def generate_letters(lottery_id: int, registration_url: str, generation: int) -> None:
    """Issue a fresh code to every invitation and write the PDF and the mailing CSV (background task).

    Codes exist in plain text only in the two files; the database keeps their keyed hash. Running
    this again issues new codes, so the previous files stop working. ``generation`` is the number
    ``request_letters`` gave: a task whose generation was replaced stops without changing anything more.
    """
    lottery = Lottery.objects.select_related("forum__council").get(pk=lottery_id)
    if lottery.letters_generation != generation:
        return
    directory = letters_directory(lottery)
    pdf, csv_path = directory / "letters.pdf", directory / "mailing.csv"

    def progress(done: int) -> None:
        _report_letters(lottery, generation, letters_done=done)

    if problems := unprintable_addresses(lottery):  # before any code changes: the last files still work
        _report_letters(
            lottery,
            generation,
            letters_status=LetterStatus.FAILED,
            letters_error=unprintable_message(problems),
        )
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for leftover in directory.glob("*.part"):  # a writer killed mid-way left codes and addresses
            leftover.unlink(missing_ok=True)
        with mailing_csv(csv_path) as add_row:
            letters = (add_row(letter) for letter in _issue_codes(lottery, generation))
            count = write_letters(pdf, letter_design(lottery, registration_url), letters, progress)
    except _Superseded:
        return
    except Exception as error:
        logger.exception("letters for lottery %s failed", lottery.pk)
        _report_letters(
            lottery,
            generation,
            letters_status=LetterStatus.FAILED,
            letters_error=(
                f"the server could not write the files ({type(error).__name__}). Generate them again; "
                "if that fails too, ask your IT team to check the server's log and free disk space."
            ),
        )
        raise
    finished = _report_letters(
        lottery,
        generation,
        letters_status=LetterStatus.READY,
        letters_done=count,
        letters_error="",
        letters_pdf=str(pdf),
        mailing_csv=str(csv_path),
    )
    if finished:
        audit.record(
            None, "recruitment.letters_generated", forum=lottery.forum, target=lottery, letters=count
        )


def _report_letters(lottery: Lottery, generation: int, **fields: Any) -> bool:
    """Save the generation's progress or outcome, unless a newer generation replaced it (then False)."""
    current = Lottery.objects.filter(pk=lottery.pk, letters_generation=generation)
    return current.update(letters_updated_at=timezone.now(), **fields) == 1


def _issue_codes(lottery: Lottery, generation: int) -> Iterator[Letter]:
    """Yield letters with fresh codes, saving the code hashes in batches as we go."""
    batch: list[Invitation] = []
    invitations = lottery.invitations.select_related("address").order_by("reference")
    for invitation in invitations.iterator(chunk_size=BULK_BATCH):
        code = codes.new_code()
        invitation.code_hash = codes.hash_code(code, settings.SECRET_KEY)
        batch.append(invitation)
        letter = Letter(invitation.reference, ("The Householder", *invitation.address.lines()), code)
        yield letter
        if len(batch) >= BULK_BATCH:
            _save_code_hashes(lottery, generation, batch)
            batch = []
    _save_code_hashes(lottery, generation, batch)


def _save_code_hashes(lottery: Lottery, generation: int, batch: list[Invitation]) -> None:
    """One UPDATE per row in a single transaction: far faster than bulk_update's CASE on SQLite.

    The lottery's row stays locked meanwhile, so a new request waits for the batch and the batches
    after it see the new generation and stop (raises ``_Superseded``).
    """
    with transaction.atomic():
        if (
            not Lottery.objects.select_for_update()
            .filter(pk=lottery.pk, letters_generation=generation)
            .exists()
        ):
            raise _Superseded
        for invitation in batch:
            Invitation.objects.filter(pk=invitation.pk).update(code_hash=invitation.code_hash)


def issue_code(invitation: Invitation) -> str:
    """Give one invitation a new code (a lost letter, or the demo); returns the code to tell the person."""
    code = codes.new_code()
    invitation.code_hash = codes.hash_code(code, settings.SECRET_KEY)
    invitation.save(update_fields=["code_hash"])
    return code
