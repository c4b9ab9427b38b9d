"""Registration: checking a household code, saving a registration, duplicates, withdrawal."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from civicforum.core import audit, rate_limits
from civicforum.processes.models import STAGE_ORDER, Forum, Stage, StageKind
from civicforum.recruitment.models import (
    UNFINISHED,
    Invitation,
    MemberStatus,
    PanelMember,
    QuotaQuestion,
    RecruitmentSettings,
    Respondent,
    RespondentStatus,
    SelectionRun,
)
from civicforum.recruitment.services import codes
from civicforum.recruitment.services.locks import lock_forum

# At most this many wrong codes per client address in the window, then a pause (guessing is pointless
# anyway with 50-bit codes; this keeps the log clean and the database idle).
MAX_FAILED_CODE_CHECKS = 10
CODE_CHECKS = "recruitment-code-attempts"


class CodeProblem(Exception):
    """Why a code cannot be used, in words for the person typing it."""


class RegistrationClosed(Exception):
    """Registration closed while someone was filling in the form (the officer may be drawing the panel)."""


NOBODY_ADDED_DURING_DRAW = (
    "A panel is being drawn from the people registered so far, so nobody can be added until the draw has "
    "finished."
)
DRAW_READS_POOL = (
    f"{NOBODY_ADDED_DURING_DRAW} Wait for the draw to finish (its progress is on the selection run’s page), "
    "then register them."
)
# Shown on the selection run's page itself, above the draw's progress.
DRAW_BELOW_READS_POOL = f"{NOBODY_ADDED_DURING_DRAW} Wait for the draw below to finish, then register them."


class DrawInProgress(Exception):
    """An officer tried to register someone while a draw is queued or running (it reads the pool)."""

    def __init__(self) -> None:
        super().__init__(DRAW_READS_POOL)


@dataclass
class Registration:
    """Everything a person gives when registering, online or through an officer."""

    full_name: str
    email: str = ""
    phone: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    availability: list[str] = field(default_factory=list)


def is_open(forum: Any) -> bool:
    """Whether the public may register online now: the officer has opened registration, whatever the
    forum's stage. It must be closed before a panel is drawn (``selection.draw_blocker``), so that the
    draw is from a fixed pool. Never once the registration data was deleted under the retention schedule
    (``opening_problem``): the letters' codes went with it."""
    return RecruitmentSettings.objects.filter(
        forum=forum, registration_open=True, purged_at__isnull=True
    ).exists()


@dataclass(frozen=True)
class NotOpenYet:
    """Registration is closed because it has not opened yet, not because it has closed: when it opens,
    if the forum's timeline says (None: not known)."""

    opens_on: date | None


def not_open_yet(forum: Forum) -> NotOpenYet | None:
    """Whether registration, closed now, is still to open (None: it has opened, and closed since). Opening
    it moves a forum still at Design on to Recruitment (``move_on_to``), so a forum at Design
    has not opened it yet; nor has one whose Recruitment stage starts after today. Residents who find the
    page early (from the council's news, or a neighbour's letter) are told when to come back, not that
    registration has closed and the panel is chosen from those who registered. Once anyone has
    registered it has opened, even before the Recruitment stage's start date (an officer may open it
    early): then the public was told it 'is not open yet' after it had closed for the draw."""
    if Respondent.objects.filter(forum=forum).exists():
        return None
    opens_on = (
        Stage.objects.filter(forum=forum, kind=StageKind.RECRUITMENT, starts_on__gt=timezone.localdate())
        .values_list("starts_on", flat=True)
        .first()
    )
    at_design = STAGE_ORDER.index(forum.current_stage) < STAGE_ORDER.index(StageKind.RECRUITMENT)
    at_recruitment = forum.current_stage == StageKind.RECRUITMENT
    if at_design or (at_recruitment and opens_on is not None):
        return NotOpenYet(opens_on)
    return None


def data_deleted_at(forum: Any) -> datetime | None:
    """When the retention purge deleted the forum's registration data (None: not yet). From then on
    nothing a resident was given (a letter's code, a registration's reference) finds anything."""
    purged_at: datetime | None = (
        RecruitmentSettings.objects.filter(forum=forum).values_list("purged_at", flat=True).first()
    )
    return purged_at


def move_on_to(forum: Forum, stage: StageKind, user: Any, because: str) -> str | None:
    """Move a forum still in a stage before ``stage`` on to it, adding the stage if the forum left it out:
    its public page and the home page show the current stage. Registration opening moves it on to
    Recruitment ('Design: in progress, Recruitment: not started' contradicted the letters residents
    register from), and the selection record's publication on to Selection ('Recruitment: in progress'
    after the panel was drawn). The stage stays the officer's to set on the forum's page; this only keeps
    it from lagging behind, so a later stage (registration reopened for replacements) is left as it is.
    Returns the stage it moved from, in words (None: it did not move)."""
    earlier = STAGE_ORDER[: STAGE_ORDER.index(stage)]
    with transaction.atomic():
        before = Forum.objects.select_for_update().values_list("current_stage", flat=True).get(pk=forum.pk)
        if before not in earlier:
            return None
        forum.current_stage = stage
        forum.save(update_fields=["current_stage", "updated_at"])
        _stage, added = Stage.objects.get_or_create(forum=forum, kind=stage)
        audit.record(
            user,
            "forum.updated",
            forum=forum,
            target=forum,
            title=forum.title,
            changed=["current_stage", "stages"] if added else ["current_stage"],
            current_stage={"from": before, "to": forum.current_stage},
            stages_added=[stage.value] if added else [],
            because=because,
        )
    return StageKind(before).label


def opening_problem(forum: Any) -> str | None:
    """Why registration cannot be opened now (None: it can). Residents register on the forum's public
    pages, so it must be published. Registrants are asked the questions set up when they register, so a
    question added later would have no answer from them and the quotas could not count them; and while
    a panel is being drawn, the pool it draws from must not change.

    Never again once the registration data was deleted under the retention schedule: the invitations,
    with their codes' hashes, went with it, so every letter's code would be refused, and nothing would
    delete what was collected afterwards (the daily purge deletes a forum's data once)."""
    purged_at = data_deleted_at(forum)
    if purged_at is not None:
        return (
            "Registration cannot open again: this forum’s registration data was deleted on "
            f"{date_format(timezone.localdate(purged_at), 'j F Y')} under the retention schedule, and with "
            "it the codes on the invitation letters, so nobody could register with their letter"
        )
    if not forum.published:
        return (
            "Show the forum on the public website before opening registration (‘Change forum details’): "
            "residents register on the forum’s public pages, which nobody else can see while it is hidden"
        )
    if not QuotaQuestion.objects.filter(forum=forum).exists():
        return (
            "Add the questions registrants answer, such as their age group, before opening registration "
            "(in ‘Questions for registrants’): people who register before a question exists are never "
            "asked it, so the quotas could not count them"
        )
    if run_in_progress(forum):
        return (
            "A panel is being drawn from the people registered so far, so registration cannot open until "
            "the selection has finished"
        )
    return None


def run_in_progress(forum: Any) -> SelectionRun | None:
    """The forum's selection (or replacement draw) in progress (``SelectionRun.in_progress``), if any:
    the pool and the quotas it reads must not change until it has finished. Every step that waits for a
    draw asks here, so a stuck run (its worker was killed) holds up none of them."""
    now = timezone.now()
    unfinished = SelectionRun.objects.filter(forum=forum, status__in=UNFINISHED).defer("result")
    return next((run for run in unfinished if run.in_progress(now)), None)


def has_registrations(forum: Any) -> bool:
    """Whether anyone is registered, so that someone may want to withdraw."""
    return Respondent.objects.filter(forum=forum, status=RespondentStatus.REGISTERED).exists()


def is_rate_limited(client: str) -> bool:
    return rate_limits.is_limited(CODE_CHECKS, client, MAX_FAILED_CODE_CHECKS)


def check_code(forum: Any, typed: str, client: str) -> Invitation:
    """The invitation a typed code belongs to, if it still admits someone; raises ``CodeProblem``."""
    if is_rate_limited(client):
        raise CodeProblem(
            "You have entered too many codes that did not work. Wait 15 minutes and try again, "
            "or call us and we will register you by phone."
        )
    problem = codes.problem_with(typed)
    if problem is not None:  # a typo, not a guess: it matches no code, so it does not count to the limit
        raise CodeProblem(problem)
    code = codes.normalise_code(typed)
    invitation = (
        Invitation.objects.filter(lottery__forum=forum, code_hash=codes.hash_code(code, settings.SECRET_KEY))
        .select_related("address")
        .first()
    )
    if invitation is None:
        rate_limits.count_failure(CODE_CHECKS, client)
        raise CodeProblem("We do not recognise that code. Check it against your letter and enter it again")
    if places_left(invitation) <= 0:
        raise code_used_up(invitation)
    return invitation


def code_used_up(invitation: Invitation) -> CodeProblem:
    """Said when the code is checked, and again if the last place went while the form was being filled."""
    return CodeProblem(
        f"This code has already been used by {invitation.max_adults} people from your household, "
        "which is the most it allows. Call us if you think this is wrong"
    )


def session_key(forum: Any) -> str:
    """Where a browser's registration in progress for ``forum`` is kept (encrypted) in its session."""
    return f"recruitment-registration-{forum.pk}"


def state_for_letter_link(state: dict[str, Any], code: str) -> dict[str, Any]:
    """The registration to carry on when someone opens their letter's link (``?code=``). The same code
    keeps the answers already given: people open the link again mid-way, from the QR code or an email.
    A different code is another letter, so it starts afresh and nobody's answers carry over to it."""
    code = code[:20]
    if codes.same_code(state.get("prefill_code", ""), code):
        return state
    return {"prefill_code": code}


def places_left(invitation: Invitation) -> int:
    used = invitation.respondents.filter(status=RespondentStatus.REGISTERED).count()
    return invitation.max_adults - used


def _keyed_hash(purpose: str, text: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{purpose}:{text}".encode(), hashlib.sha256).hexdigest()


def identity_hash(full_name: str, uprn: str) -> str:
    """Keyed hash of the normalised name and address: finds the same person registering twice."""
    name = " ".join(full_name.casefold().replace(".", " ").replace("-", " ").split())
    return _keyed_hash("identity", f"{name}|{uprn}")


def email_hash(email: str) -> str:
    """Keyed hash of the email (empty if none): the same person using two letters shares an email."""
    normalised = email.strip().casefold()
    return _keyed_hash("email", normalised) if normalised else ""


# How long a press of 'Register' is remembered (``register``'s ``submission``): the same page sent again
# after that is a new registration, as before.
SUBMISSION_KEPT_FOR = 60 * 60
SUBMITTED = "recruitment-registration-submitted"


def new_submission() -> str:
    """An id for one check-your-answers page, which ``register`` is given when it is sent."""
    return secrets.token_urlsafe(16)


def _submitted(forum: Any, submission: str) -> Respondent | None:
    """The registration the same check page already saved, if it was sent before."""
    pk = cache.get(f"{SUBMITTED}:{forum.pk}:{submission}") if submission else None
    return Respondent.objects.filter(pk=pk, status=RespondentStatus.REGISTERED).first() if pk else None


def register(
    forum: Any,
    invitation: Invitation,
    details: Registration,
    registered_by: Any = None,
    submission: str = "",
) -> Respondent:
    """Save a registration (atomically re-checking the household limit); flags likely duplicates.

    The same check page sent twice (``submission``: a double click, both requests reading the answers
    before the first had saved its confirmation) saves one registration and returns it to both: the
    second waits for the first under the forum's lock and then finds what it saved.

    Someone who started the form before registration closed is refused (``RegistrationClosed``): the
    panel may already be being drawn from the people registered. An officer may still register someone
    on their behalf (``registered_by``), for example from a paper form that arrived in time, but not while
    a draw is queued or running (``DrawInProgress``): the person would land in the pool being drawn from.
    Both are checked, and the registration saved, under the forum's lock, which starting a draw takes:
    a draw being started waits for the registration, or the registration for the draw and is refused.
    """
    assisted = getattr(registered_by, "is_authenticated", False)
    with transaction.atomic():
        lock_forum(forum.pk)
        if (earlier := _submitted(forum, submission)) is not None:
            return earlier
        if not assisted and not is_open(forum):
            raise RegistrationClosed
        if assisted and run_in_progress(forum):
            raise DrawInProgress
        locked = Invitation.objects.select_for_update().select_related("address").get(pk=invitation.pk)
        if places_left(locked) <= 0:
            raise code_used_up(locked)
        identity = identity_hash(details.full_name, locked.address.uprn)
        hashed_email = email_hash(details.email)
        duplicate = _registered_as(forum, identity, hashed_email).first()
        respondent = Respondent.objects.create(
            forum=forum,
            invitation=locked,
            reference=_new_reference(),
            ward=locked.address.ward,
            registered_at=timezone.now(),
            registered_by=registered_by if assisted else None,
            identity_hash=identity,
            email_hash=hashed_email,
            possible_duplicate_of=duplicate,
            full_name=details.full_name,
            email=details.email,
            phone=details.phone,
            answers=details.answers,
            availability=details.availability,
        )
        audit.record(
            registered_by,
            "recruitment.registered_by_phone" if respondent.registered_by else "recruitment.registered",
            forum=forum,
            target=respondent,
            possible_duplicate=duplicate is not None,
        )
        if submission:  # in the database cache, so saved (or not) with the registration
            cache.set(f"{SUBMITTED}:{forum.pk}:{submission}", respondent.pk, SUBMISSION_KEPT_FOR)
    return respondent


REFERENCE_LENGTH = 8


def _new_reference() -> str:
    return "R-" + "".join(secrets.choice(codes.ALPHABET) for _ in range(REFERENCE_LENGTH))


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


PHONE_PUNCTUATION = set(" ()-.")


def is_phone_number(text: str) -> bool:
    """Whether ``text`` could be a phone number as people write them: 01632 960 001, (01632) 960001,
    +44 7700 900982 or +44 (0)7700 900982 (10 to 15 digits; international numbers are welcome)."""
    number = text.strip().removeprefix("+")
    if not number or any(not ch.isdigit() and ch not in PHONE_PUNCTUATION for ch in number):
        return False
    return 10 <= len(_digits(number)) <= 15


def _uk_digits(phone: str) -> str:
    """The digits of a phone number as dialled within the UK: +44 7700 900982, 0044 7700 900982 and
    +44 (0)7700 900982 are the same number as 07700 900982."""
    digits = _digits(phone)
    international = phone.strip().startswith("+") or digits.startswith("00")
    if international and digits.lstrip("0").startswith("44"):
        return "0" + digits.lstrip("0").removeprefix("44").lstrip("0")
    return digits


def _contact_matches(respondent: Respondent, contact: str) -> bool:
    given = contact.strip().casefold()
    if respondent.email and respondent.email.casefold() == given:
        return True
    return bool(respondent.phone and _digits(given) and _uk_digits(respondent.phone) == _uk_digits(given))


def normalise_reference(typed: str) -> str:
    """'r k7qx2mbh', 'RK7QX2MBH' and 'K7QX2-MBH' all mean R-K7QX2MBH: people copy references loosely."""
    letters = codes.compact(typed)
    if len(letters) == REFERENCE_LENGTH + 1 and letters.startswith("R"):
        letters = letters[1:]
    return "R-" + letters


def same_reference(known: str, typed: str) -> bool:
    """Whether ``typed`` is the reference ``known`` (as saved: 'R-K7QX2MBH'), however loosely copied."""
    return bool(known) and normalise_reference(typed) == known


def find_own_registration(forum: Any, reference: str, contact: str, client: str) -> Respondent:
    """A person acting on their own registration: the reference and their email or phone must match.

    Failures count towards the same rate limit as code checks, so references cannot be probed.
    """
    if is_rate_limited(client):
        raise CodeProblem("You have made too many attempts. Wait 15 minutes and try again, or call us")
    if not codes.compact(reference):  # only emoji or symbols: not a reference, nor a guess to count
        raise CodeProblem(
            f"Enter your reference as it was given to you: R- and {REFERENCE_LENGTH} letters and numbers, "
            "like R-K7QX2MBH"
        )
    respondent = Respondent.objects.filter(
        forum=forum, reference=normalise_reference(reference), status=RespondentStatus.REGISTERED
    ).first()
    if respondent is None or not _contact_matches(respondent, contact):  # one message: nothing to learn
        rate_limits.count_failure(CODE_CHECKS, client)
        raise CodeProblem(
            "We could not find a registration with that reference and contact detail. "
            "Check both and try again"
        )
    return respondent


def record_support_needs(member: PanelMember, access_needs: str) -> None:
    """What a member replying online says they need to take part. Asked only then, not of everyone
    registering (UK GDPR data minimisation): only members take part, and the answer is often about their
    health. Kept only if they accept, added to what they said before (when registering, while the form
    still asked, or in an earlier reply); a member declining keeps none, even what they typed. The same
    text sent again (the reply posted twice: a double click, or the browser's 'Resubmit') is not added a
    second time. The audit log records that the member gave some, never what: it is often health data."""
    respondent = member.respondent
    if member.status == MemberStatus.DECLINED:
        forget_support_needs(respondent)
        return
    added = access_needs.strip()
    if not added:
        return
    with transaction.atomic():  # read again, locked: what an officer saved meanwhile is kept
        current = Respondent.objects.select_for_update().only("access_needs").get(pk=respondent.pk)
        if already_recorded(current.access_needs, added):
            return
        respondent.access_needs = "\n".join(filter(None, [current.access_needs, added]))
        respondent.save(update_fields=["access_needs"])
        given = "added to those recorded before" if current.access_needs else "none recorded before"
        audit.record(
            None, "recruitment.support_needs_given", forum=member.forum, target=respondent, given=given
        )


def already_recorded(recorded: str, added: str) -> bool:
    """Whether ``added`` is already among the support needs ``recorded``, as whole lines (each reply's
    text is added on lines of its own): 'Ramp' is not recorded by 'Ramp access'."""
    return f"\n{added}\n" in f"\n{recorded}\n"


def forget_support_needs(respondent: Respondent) -> None:
    """A member who declined needs no support: what they said they needed is no longer kept."""
    Respondent.objects.filter(pk=respondent.pk).update(access_needs="")
    respondent.access_needs = ""


def change_support_needs(respondent: Respondent, access_needs: str, user: Any) -> None:
    """An officer records what support a member needs, told by phone or after they replied online."""
    respondent.access_needs = access_needs.strip()
    respondent.save(update_fields=["access_needs"])
    audit.record(user, "recruitment.support_needs_changed", forum=respondent.forum, target=respondent)


def _registered_as(forum: Any, identity: str, hashed_email: str) -> Any:
    """The forum's registrations sharing a name and address (``identity``) or an email address with
    someone, earliest first; nothing of theirs is decrypted to find them."""
    same_person = Q(identity_hash=identity)
    if hashed_email:
        same_person |= Q(email_hash=hashed_email)
    registered = Respondent.objects.filter(forum=forum, status=RespondentStatus.REGISTERED)
    return registered.filter(same_person).order_by("pk").only("pk")


# What ``correct_details`` may change, as the audit log names it.
CORRECTABLE = ("full_name", "email", "phone")


def correct_details(respondent: Respondent, user: Any, **details: str) -> list[str] | None:
    """An officer corrects someone's name, email address or phone number (``details``, by field), as they
    asked (UK GDPR art. 16). The hashes that find the same person registering twice follow the change, and
    a correction that makes them match another registration flags it as a possible duplicate, as
    registering would have. Returns the fields changed, or None if the person was withdrawn meanwhile.

    Under the forum's lock, as withdrawing takes it: a correction waits for a withdrawal and then finds
    the data erased, rather than writing a name back into an erased registration."""
    with transaction.atomic():
        lock_forum(respondent.forum_id)
        current = (
            Respondent.objects.select_related("invitation__address")
            .filter(pk=respondent.pk, status=RespondentStatus.REGISTERED)
            .first()
        )
        if current is None:
            return None
        changed = [field for field in CORRECTABLE if getattr(current, field) != details[field]]
        if not changed:
            return []
        for field in changed:
            setattr(current, field, details[field])
        current.identity_hash = identity_hash(current.full_name, current.invitation.address.uprn)
        current.email_hash = email_hash(current.email)
        if current.possible_duplicate_of_id is None:
            earlier = _registered_as(current.forum, current.identity_hash, current.email_hash)
            current.possible_duplicate_of = earlier.exclude(pk=current.pk).first()
        current.save(update_fields=[*changed, "identity_hash", "email_hash", "possible_duplicate_of"])
        audit.record(
            user, "recruitment.details_corrected", forum=current.forum, target=current, fields=changed
        )
    return changed


def withdraw_by_reference(forum: Any, reference: str, contact: str, client: str) -> Respondent:
    """A person withdraws themselves (erasing their data) after proving it is their registration."""
    respondent = find_own_registration(forum, reference, contact, client)
    withdraw(respondent, None)
    return respondent


def withdraw(respondent: Respondent, user: Any) -> bool:
    """The person asked to leave: erase their personal data now, keep only the pseudonymous record.

    What stays is what the published figures and the audit log need, and no more (UK GDPR data
    minimisation): the reference, which the log's events about the registration and any selection run's
    results name, and the status, which the withdrawn count (the dashboards, the figures kept after the
    purge) counts. The counts by ward and week are of people still registered, so nothing needs the ward
    or the registration time any more: beside a reference, in a small ward, they would go far to say who
    it was. Also gone: the link to their letter (it leads to their home address), whether an officer
    registered them by phone (the log keeps who did what), and any possible-duplicate flag between them
    and another registration (it said the two shared a name and address or an email address).

    The forum's row is locked first, as a draw saving its panel locks it (``selection._save_result``):
    a withdrawal waits for a panel being saved and then declines the place the person got, and a panel
    saved after a withdrawal sees it and is not saved.

    The same person withdrawn twice at once (an officer, and the person online) is withdrawn once: the
    status is read again under the lock, and the second does nothing. Returns whether this call withdrew.
    """
    with transaction.atomic():
        lock_forum(respondent.forum_id)
        withdrawn = Respondent.objects.filter(pk=respondent.pk, status=RespondentStatus.WITHDRAWN)
        if withdrawn.exists():
            return False
        _erase(respondent, user)
    return True


def _erase(respondent: Respondent, user: Any) -> None:
    respondent.status = RespondentStatus.WITHDRAWN
    respondent.invitation = None
    respondent.ward = ""
    respondent.registered_at = None
    respondent.registered_by = None
    respondent.possible_duplicate_of = None
    respondent.full_name = ""
    respondent.email = ""
    respondent.phone = ""
    respondent.answers = {}
    respondent.availability = []
    respondent.access_needs = ""
    respondent.identity_hash = ""
    respondent.email_hash = ""
    respondent.save()
    respondent.answers_to_give_again.all().delete()  # even that they had answered a question goes
    Respondent.objects.filter(possible_duplicate_of=respondent).update(possible_duplicate_of=None)
    respondent.memberships.exclude(status=MemberStatus.DECLINED).update(status=MemberStatus.DECLINED)
    # Copies of what was erased: the answers a lottery waiting for its draw code keeps, and the letter
    # inviting them to the panel (name and address). Imported here: both modules import this one.
    from civicforum.recruitment.services import panel_invitations, selection

    selection.forget_answers(respondent)
    panel_invitations.drop_from_letters(respondent)
    audit.record(user, "recruitment.respondent_withdrawn", forum=respondent.forum, target=respondent)


def phone_for(forum: Any) -> str:
    """The number residents call about the forum (its recruitment settings'), or "" when it has none."""
    return phones_for([forum]).get(forum.pk, "")


def phones_for(forums: Sequence[Any]) -> dict[Any, str]:
    """The numbers of those of ``forums`` whose recruitment settings give one, by forum pk, in one query
    (``core.forum_contacts`` lists every current forum's)."""
    found = RecruitmentSettings.objects.filter(forum__in=forums).exclude(phone="")
    return dict(found.values_list("forum_id", "phone"))
