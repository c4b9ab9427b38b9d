"""Recruitment data: the address lottery, invitations, the pool of respondents, quotas and selection runs.

Personal data lives only on ``Respondent``; contact details and every answer that could be
special-category data are encrypted at rest. Addresses are the council's own list, not personal data
about any registered person until someone registers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property

from civicforum.recruitment.encryption import EncryptedJSONField, EncryptedTextField
from civicforum.wording import counted


class RecruitmentSettings(models.Model):
    """A forum's recruitment choices: who may register, when data is deleted, the session dates."""

    forum = models.OneToOneField("processes.Forum", on_delete=models.CASCADE, related_name="recruitment")
    registration_open = models.BooleanField(default=False)
    adults_per_household = models.PositiveSmallIntegerField(
        default=2, help_text="How many adults one letter's code may register."
    )
    session_dates = models.TextField(
        blank=True,
        help_text="One session per line as registrants see it, e.g. 'Saturday 6 March 2027'.",
    )
    retention_until = models.DateField(
        null=True, blank=True, help_text="Registration data is deleted on this date; aggregates are kept."
    )
    quota_slack = models.PositiveSmallIntegerField(
        default=1, help_text="Members either side of the exact population share when proposing quotas."
    )
    phone = models.CharField(
        max_length=40, blank=True, help_text="The number people call to register by phone."
    )
    logo = models.BinaryField(
        null=True, blank=True, help_text="The council's logo for letters (PNG or JPEG)."
    )
    panel_letters = models.CharField(
        max_length=500, blank=True, help_text="The latest letters to selected members."
    )
    retained_aggregates = models.JSONField(default=dict, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Recruitment for {self.forum}"

    def sessions(self) -> list[str]:
        return [line.strip() for line in self.session_dates.splitlines() if line.strip()]


def addresses(count: int) -> str:
    """'1 address', '2 addresses', '9,000 addresses'."""
    return counted(count, "address", "addresses")


class AddressList(models.Model):
    forum = models.ForeignKey("processes.Forum", on_delete=models.CASCADE, related_name="address_lists")
    filename = models.CharField(max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    address_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        """After the retention purge the list is kept without its addresses, and says so."""
        purged_at = (
            RecruitmentSettings.objects.filter(forum_id=self.forum_id)
            .values_list("purged_at", flat=True)
            .first()
        )
        return self.label(purged_at)

    def label(self, purged_at: datetime | None) -> str:
        """The list's name given when the forum's registration data was deleted (None: not yet), for
        lists of lists that read that date once rather than once a list."""
        if purged_at is None:
            return f"{self.filename} ({addresses(self.address_count)})"
        deleted_on = date_format(timezone.localdate(purged_at), "j F Y")
        return (
            f"{self.filename} ({addresses(self.address_count)} deleted on {deleted_on} "
            "under the retention schedule)"
        )


class Address(models.Model):
    address_list = models.ForeignKey(AddressList, on_delete=models.CASCADE, related_name="addresses")
    uprn = models.CharField(max_length=12)
    address_line_1 = models.CharField(max_length=200)
    address_line_2 = models.CharField(max_length=200, blank=True)
    address_line_3 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10)
    ward = models.CharField(max_length=100)
    lsoa = models.CharField(max_length=20, blank=True)
    deprivation_decile = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["address_list", "uprn"], name="unique_uprn_per_list")]

    def __str__(self) -> str:
        return ", ".join(self.lines())

    def lines(self) -> tuple[str, ...]:
        parts = (self.address_line_1, self.address_line_2, self.address_line_3, self.town, self.postcode)
        return tuple(p for p in parts if p)


# Letters report progress every few hundred letters (a fraction of a second): ten quiet minutes mean the
# task is not running.
LETTERS_SILENT_TOO_LONG = timedelta(minutes=10)


class LetterStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    RUNNING = "running", "Being generated"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Lottery(models.Model):
    """One civic lottery draw: which addresses get a letter, reproducible from seed and weights."""

    forum = models.ForeignKey("processes.Forum", on_delete=models.CASCADE, related_name="lotteries")
    address_list = models.ForeignKey(AddressList, on_delete=models.PROTECT, related_name="lotteries")
    letters_requested = models.PositiveIntegerField()
    seed = models.CharField(max_length=64)
    decile_weights = models.JSONField(
        default=dict, blank=True, help_text="Deprivation decile -> relative weight."
    )
    letters_per_ward = models.JSONField(default=dict)
    drawn_at = models.DateTimeField(auto_now_add=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    letter_heading = models.CharField(max_length=200, blank=True)
    letter_body = models.TextField(blank=True)
    reply_by = models.CharField(max_length=60, blank=True)
    letters_status = models.CharField(
        max_length=20, choices=LetterStatus.choices, default=LetterStatus.NOT_STARTED
    )
    letters_done = models.PositiveIntegerField(default=0)
    letters_error = models.TextField(blank=True)
    # Each request to generate the letters gets the next number; a task whose number is no longer the
    # lottery's stops without touching the codes, so two generations never mix their codes.
    letters_generation = models.PositiveIntegerField(default=0, db_default=0)
    letters_updated_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the letters being generated."
    )
    letters_pdf = models.CharField(max_length=500, blank=True)
    mailing_csv = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-drawn_at", "-id"]

    def __str__(self) -> str:
        return f"Lottery of {self.letters_requested} letters (seed {self.seed})"

    @property
    def percent_done(self) -> int:
        return int(100 * self.letters_done / self.letters_requested) if self.letters_requested else 0

    def letters_look_stuck(self, now: datetime) -> bool:
        """Being generated with no progress for a while: no worker, or a worker that died mid-way."""
        if self.letters_status != LetterStatus.RUNNING:
            return False
        # No sign of life at all: requested before this field existed, so no task is coming.
        return self.letters_updated_at is None or now - self.letters_updated_at > LETTERS_SILENT_TOO_LONG


class Invitation(models.Model):
    """A letter to one address; its code (stored only hashed) admits up to ``max_adults`` people."""

    lottery = models.ForeignKey(Lottery, on_delete=models.CASCADE, related_name="invitations")
    address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="invitations")
    reference = models.CharField(max_length=32, unique=True)
    code_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    max_adults = models.PositiveSmallIntegerField(default=2)

    def __str__(self) -> str:
        return self.reference


class RespondentStatus(models.TextChoices):
    REGISTERED = "registered", "Registered"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Respondent(models.Model):
    """A person who registered: the pool the panel is drawn from."""

    forum = models.ForeignKey("processes.Forum", on_delete=models.CASCADE, related_name="respondents")
    invitation = models.ForeignKey(
        Invitation, null=True, on_delete=models.SET_NULL, related_name="respondents"
    )
    reference = models.CharField(max_length=20, unique=True)
    status = models.CharField(
        max_length=20, choices=RespondentStatus.choices, default=RespondentStatus.REGISTERED
    )
    ward = models.CharField(max_length=100, blank=True)
    # Empty once withdrawn (``registration.withdraw``), like the ward.
    registered_at = models.DateTimeField(null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The officer who registered this person by phone (empty: online).",
    )
    identity_hash = models.CharField(
        max_length=64, db_index=True, help_text="Keyed hash for duplicate checks."
    )
    email_hash = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="Keyed hash of the email."
    )
    possible_duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    # Personal data, encrypted at rest.
    full_name = EncryptedTextField()
    email = EncryptedTextField(blank=True)
    phone = EncryptedTextField(blank=True)
    answers = EncryptedJSONField(help_text="Quota question key -> category key ('' for prefer not to say).")
    availability = EncryptedJSONField(blank=True, null=True)
    access_needs = EncryptedTextField(blank=True)  # given when accepting a place (registration asked before)

    class Meta:
        ordering = [models.F("registered_at").asc(nulls_last=True), "id"]  # the withdrawn last

    def __str__(self) -> str:
        return self.reference


# What a registration says about the person beyond who they are and how to reach them (answers that can
# be special-category data, the sessions they can attend, their support needs): pages and tasks that
# only name or contact someone leave these encrypted (``.defer(*ABOUT_THE_PERSON)``).
ABOUT_THE_PERSON = ("answers", "availability", "access_needs")


class QuotaQuestion(models.Model):
    """A demographic question this forum's quotas need, asked at registration."""

    forum = models.ForeignKey("processes.Forum", on_delete=models.CASCADE, related_name="quota_questions")
    key = models.SlugField(max_length=50)
    label = models.CharField(max_length=200, help_text="The question as registrants see it.")
    hint = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    allow_prefer_not_to_say = models.BooleanField(default=True)
    from_address = models.BooleanField(
        default=False, help_text="Answered from the invitation's address (ward) instead of asking."
    )
    # Set by the officer when adding the question (its wording only suggests an answer): what treats
    # sensitive answers differently reads this, never the wording.
    special_category = models.BooleanField(
        default=False,
        help_text="Asks for special category data (UK GDPR art. 9): ethnicity, religion, health, "
        "disability, sexual orientation, political opinions...",
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["forum", "key"], name="unique_quota_question_key")]

    def __str__(self) -> str:
        return self.label

    @cached_property
    def category_keys_by_label(self) -> dict[str, str]:
        """Each category's key by its label, built once per loaded question: the address question looks
        up every respondent's ward in it."""
        return {category.label: category.key for category in self.categories.all()}


class QuotaCategory(models.Model):
    question = models.ForeignKey(QuotaQuestion, on_delete=models.CASCADE, related_name="categories")
    key = models.SlugField(max_length=50)
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    population_share = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Share of the area's population, 0-1.",
    )
    min_members = models.PositiveSmallIntegerField(null=True, blank=True)
    max_members = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["question", "key"], name="unique_category_key")]

    def __str__(self) -> str:
        return self.label


QUEUED_TOO_LONG = timedelta(minutes=5)
SILENT_TOO_LONG = timedelta(minutes=30)


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    COMMITTED = "committed", "Lottery ready, waiting for the draw code"
    DONE = "done", "Finished"
    FAILED = "failed", "Failed"


# Still working out the lottery: the run page shows its progress.
COMPUTING = (RunStatus.QUEUED, RunStatus.RUNNING)
# Not finished: the pool and quotas the lottery was worked out from must not change until it is drawn.
UNFINISHED = (*COMPUTING, RunStatus.COMMITTED)


class SelectionRun(models.Model):
    """One run of the selection engine over the pool (or a replacement draw)."""

    forum = models.ForeignKey("processes.Forum", on_delete=models.CASCADE, related_name="selection_runs")
    algorithm = models.CharField(max_length=20, default="leximin")
    panel_size = models.PositiveIntegerField()
    is_replacement = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.FloatField(default=0.0)
    message = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    quotas = models.JSONField(default=list, help_text="The quotas used: feature, value, min, max.")
    # The quotas as the officer had set them when the run began drawing, for its page and the published
    # record: the quotas page may change after the draw, but the record must say what the draw met.
    targets = models.JSONField(
        default=list,
        blank=True,
        help_text="Each answer's target when the run drew: question, answer, min, max (None: none).",
    )
    result = models.JSONField(
        default=dict, blank=True, help_text="Probabilities and panels by pool reference."
    )
    # The draw code, entered only once the lottery and its commitment are saved (``committed_at``), so
    # nobody could have tried codes against a lottery they could not yet see.
    seed = models.CharField(max_length=200, blank=True)
    seed_source = models.CharField(
        max_length=200, blank=True, help_text="Where the draw code came from, in the officer's words."
    )
    commitment = models.CharField(max_length=64, blank=True)
    committed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the lottery and its commitment were saved, before the draw."
    )
    # The lottery's size and pick, also in ``result``: kept apart so the public record, read by anyone,
    # need not load the whole result (every volunteer's probability and a thousand panels).
    lottery_size = models.PositiveIntegerField(default=0)
    chosen_index = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True, help_text="Last save or progress report.")
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # The public record shows these counts, which never change: comparing the page over time must tell
    # nothing about anyone who left the panel.
    published_composition = models.JSONField(
        default=list, blank=True, help_text="The panel against its targets when the record was published."
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.algorithm} run #{self.pk}"

    @property
    def percent_done(self) -> int:
        return int(round(100 * self.progress))

    def looks_stuck(self, now: datetime) -> bool:
        """Unfinished with no sign of life for a while: no worker, or a worker that died mid-run."""
        quiet = now - self.updated_at
        if self.status == RunStatus.QUEUED:
            return quiet > QUEUED_TOO_LONG
        return self.status == RunStatus.RUNNING and quiet > SILENT_TOO_LONG

    def in_progress(self, now: datetime) -> bool:
        """Queued, running and alive, or waiting for its draw code: the pool and quotas it reads must not
        change until it finishes. A stuck run is not: nothing will finish it, and the next run started
        marks it stopped (a lottery waiting for its code is replaced the same way)."""
        return self.status in UNFINISHED and not self.looks_stuck(now)


class MemberStatus(models.TextChoices):
    SELECTED = "selected", "Selected, not yet confirmed"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"


class InvitationBatchStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    SENDING = "sending", "Sending"
    DONE = "done", "Finished"
    FAILED = "failed", "Failed"
    STOPPED = "stopped", "Stopped: the registration data was deleted"


INVITATIONS_UNFINISHED = (InvitationBatchStatus.QUEUED, InvitationBatchStatus.SENDING)

# Each email reports progress as it goes (a few seconds at most): ten quiet minutes mean nothing is sending.
INVITATIONS_SILENT_TOO_LONG = timedelta(minutes=10)


class InvitationBatch(models.Model):
    """One press of "Send invitations": its members (``recipients``) get a letter in one PDF and, where
    they gave an address, an email, sent by a background task after the batch is saved."""

    forum = models.ForeignKey("processes.Forum", on_delete=models.CASCADE, related_name="invitation_batches")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply_url = models.CharField(max_length=500)
    reply_by = models.CharField(max_length=60)
    status = models.CharField(
        max_length=20, choices=InvitationBatchStatus.choices, default=InvitationBatchStatus.QUEUED
    )
    error = models.TextField(blank=True)
    letters = models.CharField(max_length=500, blank=True, help_text="The letters PDF, once written.")
    letters_written = models.PositiveIntegerField(
        default=0,
        help_text="How many letters the PDF holds (members who replied or withdrew first get none).",
    )
    updated_at = models.DateTimeField(default=timezone.now, help_text="Last sign of life of the sending.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        """The audit log's name for the batch: the council's time, as the log shows every time."""
        return f"Invitations of {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    def looks_stuck(self, now: datetime) -> bool:
        """Unfinished with no progress for a while: no worker, or a worker that died mid-way."""
        return self.status in INVITATIONS_UNFINISHED and now - self.updated_at > INVITATIONS_SILENT_TOO_LONG


class EmailStatus(models.TextChoices):
    """Where a member's invitation email is: each step is saved before the next, so a task run again
    (or a colleague's retry) never sends an email a second time."""

    NOT_RECORDED = "", "Not recorded (not invited, or invited before emails were tracked)"
    TO_SEND = "to_send", "Email not sent yet"
    SENDING = "sending", "Email sending interrupted: it may or may not have gone"
    SENT = "sent", "Emailed"
    FAILED = "failed", "Email not sent"
    NO_ADDRESS = "no_address", "No email address: letter only"
    NOT_NEEDED = "not_needed", "Not emailed: they replied or withdrew first"


# A member invited with these has not been emailed (yet, or for sure).
NOT_EMAILED = (EmailStatus.TO_SEND, EmailStatus.SENDING, EmailStatus.FAILED)


class AnswerToGiveAgain(models.Model):
    """An answer erased when its question was marked as asking for special category data after people
    had answered it (``quotas.mark_special_category``): they were never told, so gave no explicit
    consent (UK GDPR art. 9). The person may give it again, with that consent, while registration is
    open (``answer_again.give_again``); the row says only that they had answered, never what."""

    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="answers_to_give_again")
    question = models.ForeignKey(
        QuotaQuestion, on_delete=models.CASCADE, related_name="answers_to_give_again"
    )
    erased_at = models.DateTimeField()
    given_again_at = models.DateTimeField(null=True, blank=True)
    # The email asking them to give it again (``answer_again.send_emails``): not asked yet until the
    # officer sends them.
    email_status = models.CharField(
        max_length=20, choices=EmailStatus.choices, default=EmailStatus.NOT_RECORDED, blank=True
    )
    email_changed_at = models.DateTimeField(null=True, blank=True)  # a sending that stopped stays still

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["respondent", "question"], name="one_answer_to_give_again")
        ]

    def __str__(self) -> str:
        return f"{self.respondent} to give again: {self.question.key}"


# Where a member told another way stands, in place of their email status (``invitation_outcome``).
TOLD_ANOTHER_WAY = "told_another_way"


def invitation_outcome(email_status: str, reached_by: str) -> str:
    """Where a member's invitation stands, for the pages' counts of a batch's members (done, not emailed,
    to send again): ``TOLD_ANOTHER_WAY`` once the officer has told them another way (``ReachedBy``),
    whatever became of their email (never sent again), else their ``EmailStatus``. In the database:
    ``not_emailed_q``."""
    return TOLD_ANOTHER_WAY if reached_by else email_status


def not_emailed_q(prefix: str = "") -> models.Q:
    """``PanelMember.not_emailed`` as a query filter, on members reached through ``prefix`` (such as
    "recipients__" from a batch): not emailed, nor told another way."""
    return models.Q(**{f"{prefix}email_status__in": NOT_EMAILED, f"{prefix}reached_by": ""})


class ReachedBy(models.TextChoices):
    """How the officer told a member not emailed about their invitation instead (an email cut off mid-send
    is never sent again, and an address may fail every time): they then count as told, not as not emailed."""

    PHONE = "phone", "By phone"
    LETTER = "letter", "By a letter posted to them"
    IN_PERSON = "in_person", "In person"


class PanelMember(models.Model):
    forum = models.ForeignKey("processes.Forum", on_delete=models.CASCADE, related_name="panel_members")
    run = models.ForeignKey(SelectionRun, on_delete=models.CASCADE, related_name="members")
    respondent = models.ForeignKey(
        Respondent, null=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    status = models.CharField(max_length=20, choices=MemberStatus.choices, default=MemberStatus.SELECTED)
    invited_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When their invitation was sent: a letter, and an email if they gave one.",
    )
    invitation_batch = models.ForeignKey(
        InvitationBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="recipients"
    )
    email_status = models.CharField(
        max_length=20, choices=EmailStatus.choices, default=EmailStatus.NOT_RECORDED, blank=True
    )
    reached_by = models.CharField(
        max_length=20,
        choices=ReachedBy.choices,
        blank=True,
        help_text="How the officer told them of their invitation when it was not emailed.",
    )
    reached_at = models.DateTimeField(null=True, blank=True)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.respondent or 'erased respondent'}: {self.get_status_display()}"

    @property
    def is_replacement(self) -> bool:
        return self.replaces_id is not None

    @property
    def not_emailed(self) -> bool:
        """Not emailed and not told another way either: the officer still has to reach them."""
        return invitation_outcome(self.email_status, self.reached_by) in NOT_EMAILED
