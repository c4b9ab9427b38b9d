"""Forms for the officer's journey and the public registration (one question per page)."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.layout import Field, Layout, Size
from django import forms
from django.db.models import F
from django.utils import timezone
from django.utils.html import escape, format_html

from civicforum.core.forms import (
    GovUKDateField,
    GovUKForm,
    GovUKModelForm,
    PlainEmailField,
    PlainLineField,
    PlainTextField,
    require_tick,
    text_field,
)
from civicforum.plain_text import plain_line
from civicforum.recruitment.models import (
    AddressList,
    Invitation,
    PanelMember,
    QuotaCategory,
    QuotaQuestion,
    ReachedBy,
    RecruitmentSettings,
)
from civicforum.recruitment.services import privacy, quotas, registration
from civicforum.recruitment.services.engine import ALGORITHMS
from civicforum.recruitment.services.letters import (
    DEFAULT_BODY,
    DEFAULT_HEADING,
    PLACEHOLDERS,
    has_line_break,
    name_fits,
    unknown_placeholders,
)
from civicforum.recruitment.services.quotas import PREFER_NOT_TO_SAY, parse_share
from civicforum.recruitment.services.selection import (
    DRAW_CODE_MAX_LENGTH,
    DRAW_SOURCE_MAX_LENGTH,
    draw_code_problem,
)
from civicforum.wording import counted, plural

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class UploadForm(GovUKForm):
    file = forms.FileField(
        label="CSV file",
        error_messages={"required": "Choose a CSV file to upload", "empty": "The selected file is empty"},
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file must be smaller than 50 MB")
        return upload


def reply_by_field(help_text: str, required: str, max_length: int = 60) -> forms.CharField:
    """The date a letter asks people to answer by, printed as the officer typed it, on one line."""
    return text_field(
        "Reply by",
        max_length,
        PlainTextField,  # printed: no control characters; a line break is refused, not joined
        help_text=help_text,
        error_messages={"required": required},
        validators=[_on_one_line],
    )


def _on_one_line(value: str) -> None:
    if has_line_break(value):
        raise forms.ValidationError(
            "Reply by must be on one line, for example 18 December 2026", code="line_break"
        )


def phone_number(value: str) -> None:
    """A phone number as people write one (see ``registration.is_phone_number``): it is printed on
    letters for residents to call, or kept to call a registrant back."""
    if not registration.is_phone_number(value):
        raise forms.ValidationError(
            "Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192", code="phone"
        )


def whole_number_input(width: int = 4) -> forms.TextInput:
    """A GOV.UK text input for a whole number (the Design System advises against type="number")."""
    return forms.TextInput(attrs={"inputmode": "numeric", "class": f"govuk-input--width-{width}"})


def whole_number_field(name: str, low: int, high: int, required: str, **kwargs: Any) -> forms.IntegerField:
    """A whole number from ``low`` to ``high`` whose errors say so: ``name`` starts the message,
    ``required`` is the message for an empty box."""
    out_of_range = f"{name} must be a whole number from {low} to {high}"
    return forms.IntegerField(
        min_value=low,
        max_value=high,
        widget=whole_number_input(2),
        error_messages={
            "required": required,
            "invalid": out_of_range,
            "min_value": out_of_range,
            "max_value": out_of_range,
        },
        **kwargs,
    )


class LotteryForm(GovUKForm):
    address_list = forms.ModelChoiceField(
        queryset=AddressList.objects.none(),
        empty_label=None,
        error_messages={"required": "Select the address list", "invalid_choice": "Select the address list"},
    )
    letters = forms.IntegerField(
        min_value=1,
        label="Number of letters",
        help_text="Often 10 to 30 times the panel size.",
        widget=whole_number_input(5),
        error_messages={
            "required": "Enter how many letters to send",
            "invalid": "Number of letters must be a whole number, like 1200",
            "min_value": "Number of letters must be at least 1",
        },
    )
    oversample_deprived = forms.BooleanField(
        required=False,
        label="Send more letters to the most deprived areas",
        help_text="Addresses in deprivation decile 1 are twice as likely, decile 2 one and a half times as "
        "likely, to get a letter (because fewer people reply there).",
    )
    seed = text_field(
        "Seed", 64, required=False, help_text="Leave empty for a random seed. It is recorded either way."
    )

    def __init__(self, *args: Any, forum: Any, **kwargs: Any) -> None:
        """The forum's address lists are read once, for the choices and for ``address_lists`` (the page
        asks for an upload first when there is none); the choice posted is checked in the database."""
        super().__init__(*args, **kwargs)
        field = self.fields["address_list"]
        field.queryset = AddressList.objects.filter(forum=forum).annotate(
            purged_at=F("forum__recruitment__purged_at")
        )
        self.address_lists = list(field.queryset)
        field.choices = [(lst.pk, lst.label(lst.purged_at)) for lst in self.address_lists]

    def clean(self) -> dict[str, Any]:
        """Ticking 'more letters to deprived areas' for a list without deprivation deciles changed nothing,
        yet the lottery recorded the weights as used: the officer would believe the letters went where
        fewer people reply."""
        cleaned = super().clean()
        address_list = cleaned.get("address_list")
        if (
            cleaned.get("oversample_deprived")
            and address_list is not None
            and not address_list.addresses.filter(deprivation_decile__in=OVERSAMPLING_WEIGHTS).exists()
        ):
            self.add_error(
                "oversample_deprived",
                f"The address list ‘{address_list.filename}’ has no addresses in deprivation decile 1 or 2, "
                "so no area can get more letters. Untick this, or upload the list with a deprivation_decile "
                "column",
            )
        return cleaned


OVERSAMPLING_WEIGHTS = {1: 2.0, 2: 1.5}


# A letter prints the logo a few centimetres wide: 3,000 pixels is sharp at any print resolution.
LOGO_MAX_PIXELS = 3000


class LetterForm(GovUKForm):
    heading = text_field(
        "Heading",
        200,
        PlainLineField,
        initial=DEFAULT_HEADING,
        error_messages={"required": "Enter the letter's heading"},
    )
    body = PlainTextField(
        widget=forms.Textarea(attrs={"rows": 14}),
        initial=DEFAULT_BODY,
        help_text="Plain English. You can use $council, $forum, $url, $adults (how many people the code "
        "registers, for example ‘2 people’), $households (how many households this draw writes to, for "
        "example ‘400’) and $reply_by.",
        error_messages={"required": "Enter the text of the letter"},
    )
    reply_by = reply_by_field("For example, 4 December 2026", "Enter the date people should reply by")
    logo = forms.ImageField(
        required=False,
        label="Council logo (optional)",
        error_messages={
            "invalid_image": "The council logo must be a PNG or JPEG",
            "empty": "The selected file is empty",
        },
    )

    def __init__(
        self, *args: Any, logo_saved: bool = False, regenerating: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.set_logo_saved(logo_saved)
        if regenerating:
            # Letters already printed or posted carry the old codes, which generating again cancels.
            self.fields["replace_codes"] = forms.BooleanField(
                required=False,
                label="I understand that the letters already generated will stop working",
                help_text="Nobody can register with the codes in the files you have downloaded. Only do this "
                "if those letters have not been posted.",
            )
            self.rebuild_helper()

    def set_logo_saved(self, saved: bool) -> None:
        """The hint promises to keep the current logo only when there is one to keep. (The bound field
        copied the hint once validated, so it changes too.)"""
        keep = " Leave empty to keep the current logo." if saved else ""
        hint = f"A PNG or JPEG under 500 KB, at most {LOGO_MAX_PIXELS:,} pixels wide and high.{keep}"
        self.fields["logo"].help_text = self["logo"].help_text = hint

    def clean(self) -> dict[str, Any]:
        """A browser cannot fill a file box in again, so a logo chosen on a page refused for another
        field's error is lost: say so where the officer looks, rather than print letters without it."""
        cleaned = super().clean()
        if (
            "replace_codes" in self.fields
            and not cleaned.get("replace_codes")
            and self.data.get("action") != "preview"
        ):
            self.add_error(
                "replace_codes",
                "Confirm that the letters already generated will stop working, or download them instead",
            )
        if self.errors and cleaned.get("logo"):
            self.add_error(
                "logo",
                "Choose the council logo again: it was not saved because of the other errors on this page",
            )
        return cleaned

    def clean_heading(self) -> str:
        return _known_placeholders_only(self.cleaned_data["heading"], "Heading")

    def clean_body(self) -> str:
        return _known_placeholders_only(self.cleaned_data["body"], "The letter's text")

    def clean_logo(self) -> Any:
        """Under 500 KB, and no more than LOGO_MAX_PIXELS a side: a small file can still hold a huge
        image (PNG compresses a plain one well), which every letter's PDF would unpack in memory."""
        logo = self.cleaned_data.get("logo")
        if logo and logo.size > 500 * 1024:
            raise forms.ValidationError("The logo must be smaller than 500 KB")
        image = getattr(logo, "image", None)  # Django's ImageField leaves the opened image here
        if image is not None and max(image.size) > LOGO_MAX_PIXELS:
            width, height = image.size
            raise forms.ValidationError(
                f"The logo must be at most {LOGO_MAX_PIXELS:,} pixels wide and high (it is {width:,} by "
                f"{height:,}); make it smaller in an image editor"
            )
        return logo


def _known_placeholders_only(text: str, name: str) -> str:
    unknown = unknown_placeholders(text)
    if unknown:
        known = ", ".join(f"${p}" for p in PLACEHOLDERS[:-1]) + f" or ${PLACEHOLDERS[-1]}"
        raise forms.ValidationError(f"{name} uses ${unknown[0]}, which is not a placeholder: use {known}")
    return text


class PublishRecordForm(GovUKForm):
    """Publishing cannot be undone: the record is the public's check on the draw, so it is never
    withdrawn; the officer says they have checked the run first."""

    understood = forms.BooleanField(
        label="I have checked this run: its record will be public and cannot be withdrawn",
        help_text="The public page shows the method, the targets, how many members meet each, the "
        "fingerprint, the draw code and where it came from, and every lottery worked out for this "
        "forum. It never shows names.",
        error_messages={"required": "Confirm that you have checked the run before publishing its record"},
    )


class QuotaChangeForm(GovUKForm):
    """Quotas changed after a panel was drawn: the officer confirms they know that panel keeps the quotas
    it was drawn with (``selection.quotas_drawn_with`` says what that means for this forum)."""

    understood = forms.BooleanField(
        label="I understand that the panel already drawn keeps the quotas it was drawn with",
        error_messages={
            "required": "Confirm that you understand the panel already drawn keeps its quotas, or leave "
            "the quotas as they are"
        },
    )


class PanelInvitationForm(GovUKForm):
    # 40 characters: the letters' box prints it whole on one line ("Tell us by ... whether you can take
    # part."), where 60 were cut short.
    reply_by = reply_by_field(
        "The date selected members should answer by, for example 18 December 2026",
        "Enter the date members should reply by",
        max_length=40,
    )


def checkboxes_with_none_option(name: str, **options: Any) -> Field:
    """Checkboxes whose choices may include an exclusive one (``Choice(..., behaviour="exclusive")``, after
    an "or" divider), drawn so that GOV.UK Frontend's script unticks the others when it is ticked."""
    return Field.checkboxes(name, template="core/includes/checkboxes_field.html", **options)


EVERYONE_LISTED = "everyone"


class ReachedAnotherWayForm(GovUKForm):
    """The officer records which members not emailed they told of their invitation another way, and how:
    ticking each, or everyone listed at once (GOV.UK's exclusive option after an "or" divider, which
    unticks the others where JavaScript runs; where it does not, it wins)."""

    members = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        label="Who have you told about their invitation another way?",
        help_text="They will no longer be counted as not emailed. Select all that apply.",
        error_messages={"required": "Select the members you have told about their invitation another way"},
    )
    how = forms.ChoiceField(
        widget=forms.RadioSelect,
        choices=ReachedBy.choices,
        label="How did you tell them?",
        error_messages={"required": "Select how you told them"},
    )

    def __init__(self, *args: Any, not_emailed: list[PanelMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listed = [member.pk for member in not_emailed]
        people = [
            Choice(member.pk, member_name(member), hint=member.get_email_status_display())
            for member in not_emailed
        ]
        if len(people) > 1:
            people[-1].divider = "or"
            people.append(Choice(EVERYONE_LISTED, f"Everyone listed ({len(people)})", behaviour="exclusive"))
        self.fields["members"].choices = people
        self.helper.layout = Layout(
            checkboxes_with_none_option("members", legend_size=Size.MEDIUM, legend_tag="h2"),
            Field.radios("how", legend_size=Size.SMALL),
        )

    @property
    def chosen(self) -> list[int]:
        """The members ticked (everyone listed, if that is ticked)."""
        ticked: list[str] = self.cleaned_data["members"]
        return self.listed if EVERYONE_LISTED in ticked else [int(pk) for pk in ticked]


def member_name(member: PanelMember) -> str:
    """The member's name and reference, as the batch page lists them."""
    respondent = member.respondent
    if respondent is None:
        return "(data deleted)"
    return f"{respondent.full_name or '(withdrawn)'} ({respondent.reference})"


# Names, emails and references are not dictionary words: a spellchecker would underline or "correct" them
# (GOV.UK Design System). A code or reference is copied from paper, so the browser should not offer
# what was typed before either.
NOT_WORDS = {"spellcheck": "false"}
AS_PRINTED = {"autocomplete": "off", **NOT_WORDS}


def one_line(example: str) -> str:
    """An example code or reference for a hint (shown as HTML), kept on one line: broken after its dash,
    as a narrow screen did, 'R-' ended one line and read as the whole reference."""
    return format_html('<span class="civicforum-nowrap">{}</span>', example)


SUPPORT_NEEDS_LENGTH = 1000


def support_needs_field(name: str, **options: Any) -> forms.CharField:
    """The support needs box's field, one definition for the member's reply and the officer's page, which
    give their own label and hint: whoever types them, support needs are kept to the same length and
    cleaned of the same characters, with the same error messages (calling the box ``name``)."""
    return text_field(
        name,
        SUPPORT_NEEDS_LENGTH,
        PlainTextField,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        **options,
    )


def support_needs_box(name: str, **options: Any) -> Field:
    """The box for support needs, with the GOV.UK character count (a hint saying the limit without
    JavaScript)."""
    return Field.textarea(name, rows=4, max_characters=SUPPORT_NEEDS_LENGTH, **options)


class PanelReplyForm(GovUKForm):
    reference = text_field(
        "Reference",
        20,
        label="Your reference",
        help_text="It is on the letter or email telling you that you were chosen, for example "
        f"{one_line('R-K7QX2MBH')}.",
        error_messages={"required": "Enter your reference"},
        widget=forms.TextInput(attrs=AS_PRINTED),
    )
    contact = text_field(
        "Email address or phone number",
        200,
        label="The email address or phone number you gave when registering",
        error_messages={"required": "Enter the email address or phone number you gave"},
        widget=forms.TextInput(attrs=NOT_WORDS),
    )
    answer = forms.ChoiceField(
        choices=[("yes", "Yes, I can take part"), ("no", "No, I cannot take part")],
        widget=forms.RadioSelect,
        label="Can you take part?",
        error_messages={"required": "Select whether you can take part"},
    )
    # Asked here, of members only, rather than of everyone registering (``record_support_needs``).
    access_needs = support_needs_field(
        "The support you need",
        label="If you can take part, do you need any support? (optional)",
        help_text="For example step-free access, a hearing loop, large print, care for someone, or an "
        "interpreter. We pay for what you need. If you cannot take part, leave this empty: we do not "
        "keep it.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            "reference", "contact", "answer", support_needs_box("access_needs", label_size=Size.SMALL)
        )


class SlackForm(GovUKForm):
    slack = whole_number_field(
        "Members either side",
        0,
        20,
        "Enter how many members either side of the exact share",
        initial=1,
        label="Members either side of the exact share",
    )


# What each method does, in an officer's words (DESIGN.md's glossary), shown under its radio button.
ALGORITHM_HINTS = {
    "leximin": "Gives every volunteer as equal a chance of being selected as the quotas allow.",
    "maximin": "Raises the lowest chance as far as the quotas allow, but may leave the others uneven.",
    "nash": "Makes the chances as equal as it can by another measure (their product).",
    "goldilocks": "Keeps every chance away from both too low and too high.",
    "legacy": "For comparison only: some volunteers get almost no chance. It is the draw used before.",
}


class RunForm(GovUKForm):
    algorithm = forms.ChoiceField(
        choices=[Choice(value, label, hint=ALGORITHM_HINTS[value]) for value, label in ALGORITHMS],
        initial="leximin",
        widget=forms.RadioSelect,
        label="Selection method",
        error_messages={"required": "Select a selection method"},
    )


class DrawForm(GovUKForm):
    """Step 2 of a selection: the draw code, entered once the lottery's fingerprint is shown."""

    code = text_field(
        "Draw code",
        DRAW_CODE_MAX_LENGTH,
        label="Draw code",
        help_text="Something nobody could know before the fingerprint was shown, such as lottery numbers "
        "drawn afterwards or numbers drawn at a public meeting. Type it exactly as it was announced: "
        "anyone checking the draw will type it the same way.",
        error_messages={"required": "Enter the draw code"},
    )
    source = text_field(
        "Where the draw code came from",
        DRAW_SOURCE_MAX_LENGTH,
        required=False,
        label="Where the draw code came from (optional)",
        help_text="For example, National Lottery draw of 28 November, or numbers drawn at the public "
        "meeting. The public selection record shows it.",
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]  # spaces at either end already stripped
        problem = draw_code_problem(code)
        if problem:
            raise forms.ValidationError(problem)
        return code


# Public registration: each form is one page.


class CodeForm(GovUKForm):
    code = text_field(
        "Code",
        Invitation._meta.get_field("reference").max_length,  # an officer on the phone types the reference
        label="Enter the code from your letter",
        help_text=f"It is 10 letters and numbers, for example {one_line('K7QX2-MBH9T')}",
        error_messages={"required": "Enter the code from your letter"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(AS_PRINTED)
        self.helper.layout = Layout(Field.text("code", label_size=Size.LARGE, label_tag="h1", field_width=10))


YES_NO = [("yes", "Yes"), ("no", "No")]


class YesNoForm(GovUKForm):
    answer = forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect)

    def __init__(self, *args: Any, question: str, hint: str = "", error: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["answer"]
        # crispy-forms-gds prints a label and hint as HTML (|safe); these hold officers' words (the area).
        field.label, field.help_text = escape(question), escape(hint)
        field.error_messages["required"] = error
        self.helper.layout = Layout(
            Field.radios("answer", legend_size=Size.LARGE, legend_tag="h1", inline=True)
        )


class NameForm(GovUKForm):
    full_name = text_field(
        "Name",
        200,
        PlainLineField,
        label="What is your name?",
        error_messages={"required": "Enter your full name"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["full_name"].widget.attrs.update({"autocomplete": "name", **NOT_WORDS})
        self.helper.layout = Layout(Field.text("full_name", label_size=Size.LARGE, label_tag="h1"))

    def clean_full_name(self) -> str:
        """A name the letters cannot print legibly with an address in the envelope window is refused: a
        panel member's letter would otherwise print their name and address below 7 points."""
        name: str = self.cleaned_data["full_name"]
        if not name_fits(name):
            raise forms.ValidationError(
                "Name is too long to print on an envelope: write it shorter, for example without middle "
                "names or titles"
            )
        return name


class ContactForm(GovUKForm):
    email = text_field(
        "Email address",
        320,  # the longest an email address can be (RFC 3696)
        PlainEmailField,
        required=False,
        label="Email address",
        error_messages={"invalid": "Enter an email address in the correct format, like name@example.com"},
    )
    phone = text_field("Phone number", 30, required=False, label="Phone number", validators=[phone_number])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "email", **NOT_WORDS})
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "type": "tel"})

    no_contact = "Enter an email address or a phone number so we can contact you"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("email") and not data.get("phone") and not self.errors:
            self.add_error("email", self.no_contact)
        return data


class CorrectDetailsForm(ContactForm):
    """An officer corrects a registrant's name, email address or phone number when they ask (the right to
    rectification), by the rules the registration form applies to each."""

    full_name = copy.deepcopy(NameForm.base_fields["full_name"])
    full_name.label = "Name"
    full_name.error_messages["required"] = "Enter their full name"
    no_contact = "Enter an email address or a phone number, so that the council can contact them"
    field_order = ["full_name", "email", "phone"]
    clean_full_name = NameForm.clean_full_name

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The officer's browser would offer the officer's own name and address, not the registrant's.
        for name in self.fields:
            self.fields[name].widget.attrs["autocomplete"] = "off"


def quota_answer_field(question: QuotaQuestion) -> forms.ChoiceField:
    """The radios answering ``question``, with 'Prefer not to say' where it is offered."""
    choices = [(c.key, c.label) for c in question.categories.all()]
    if question.allow_prefer_not_to_say:
        choices.append((PREFER_NOT_TO_SAY, "Prefer not to say"))
    # crispy-forms-gds prints a label as HTML (|safe); these are the officer's words. As in YesNoForm.
    return forms.ChoiceField(
        choices=choices,
        widget=forms.RadioSelect,
        label=escape(question.label),
        help_text=escape(question.hint),
        error_messages={"required": f"Select an answer to ‘{question.label}’"},
    )


class QuotaAnswerForm(GovUKForm):
    def __init__(self, *args: Any, question: QuotaQuestion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answer"] = quota_answer_field(question)
        self.helper.layout = Layout(Field.radios("answer", legend_size=Size.LARGE, legend_tag="h1"))


CANNOT_ATTEND = "cannot-attend"
CANNOT_ATTEND_LABEL = "I cannot attend any of these dates"


class AvailabilityForm(GovUKForm):
    """The session dates, and a way out for someone who can attend none of them (GOV.UK's exclusive
    "none of these" option after an "or" divider: ticking it unticks the dates where JavaScript runs,
    and ``clean_sessions`` refuses both together where it does not) instead of a question they cannot
    answer."""

    sessions = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        label="Which sessions could you attend?",
        help_text="Select all that apply. Members need to attend all or most sessions.",
        error_messages={
            "required": f"Select the sessions you could attend, or select ‘{CANNOT_ATTEND_LABEL}’"
        },
    )

    def __init__(self, *args: Any, sessions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dates = [Choice(s, s) for s in sessions]
        dates[-1].divider = "or"
        none = Choice(CANNOT_ATTEND, CANNOT_ATTEND_LABEL, behaviour="exclusive")
        self.fields["sessions"].choices = [*dates, none]
        self.helper.layout = Layout(
            checkboxes_with_none_option("sessions", legend_size=Size.LARGE, legend_tag="h1")
        )

    def clean_sessions(self) -> list[str]:
        chosen: list[str] = self.cleaned_data["sessions"]
        if CANNOT_ATTEND in chosen and len(chosen) > 1:
            raise forms.ValidationError(
                f"Select the sessions you could attend, or ‘{CANNOT_ATTEND_LABEL}’, not both"
            )
        return chosen

    @property
    def cannot_attend(self) -> bool:
        return self.cleaned_data["sessions"] == [CANNOT_ATTEND]


class SupportNeedsForm(GovUKForm):
    """An officer records a member's support needs; the member's name is the heading."""

    access_needs = support_needs_field(
        "The support they need",
        help_text="For example step-free access, a hearing loop, large print, care for someone, or an "
        "interpreter. Leave empty if they need none.",
    )

    def __init__(self, *args: Any, name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # crispy-forms-gds prints a label as HTML (|safe); this one holds the member's name.
        self.fields["access_needs"].label = escape(f"What support does {name} need to take part?")
        self.helper.layout = Layout(support_needs_box("access_needs", label_size=Size.LARGE, label_tag="h1"))


class ConsentForm(GovUKForm):
    consent = forms.BooleanField(
        label="I agree that the council may use my answers to select the panel, as the privacy notice says",
        error_messages={"required": "Tick the box to agree, or you cannot register"},
    )


class WithdrawForm(GovUKForm):
    reference = text_field(
        "Reference",
        20,
        label="Your registration reference",
        help_text=f"It starts with R-, for example {one_line('R-K7QX2MBH')}. It was shown when you "
        "registered.",
        error_messages={"required": "Enter your registration reference"},
        widget=forms.TextInput(attrs=AS_PRINTED),
    )
    contact = text_field(
        "Email address or phone number",
        200,
        label="The email address or phone number you gave",
        error_messages={"required": "Enter the email address or phone number you gave when registering"},
        widget=forms.TextInput(attrs=NOT_WORDS),
    )


def ask_answer_and_consent(form: GovUKForm, question: QuotaQuestion, who: list[str]) -> None:
    """After the boxes saying whose answer it is (``who``), the radios answering ``question``, then the
    form's ``consent`` box, in that order on the page and in the error summary."""
    form.fields["answer"] = quota_answer_field(question)
    form.order_fields([*who, "answer", "consent"])
    form.helper.layout = Layout(
        *who, Field.radios("answer", legend_size=Size.MEDIUM, legend_tag="h2"), Field.checkbox("consent")
    )


class AnswerAgainForm(WithdrawForm):
    """Someone whose answer to ``question`` was erased when it was marked as asking for special category
    data gives it again: who they are, the answer, and this time their explicit consent to it."""

    consent = forms.BooleanField(
        label="I agree that the council may use my answer to this question to select the panel, as the "
        "privacy notice says",
        error_messages={"required": "Tick the box to agree, or we cannot keep your answer"},
    )

    def __init__(self, *args: Any, question: QuotaQuestion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ask_answer_and_consent(self, question, ["reference", "contact"])


class RecordAnswerAgainForm(GovUKForm):
    """An officer records an erased answer that someone gave again by phone or on paper, with their
    consent: people who do not go online must not lose their answer for it."""

    reference = text_field(
        "Reference",
        20,
        label="Their registration reference",
        help_text=f"It starts with R-, for example {one_line('R-K7QX2MBH')}. The list of who to tell has it.",
        error_messages={"required": "Enter their registration reference"},
        widget=forms.TextInput(attrs={**AS_PRINTED, "autocomplete": "off"}),
    )
    consent = forms.BooleanField(
        label="They agreed that the council may use their answer to this question to select the panel, "
        "as the privacy notice says",
        error_messages={"required": "Tick to confirm they agreed, or do not record their answer"},
    )

    def __init__(self, *args: Any, question: QuotaQuestion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ask_answer_and_consent(self, question, ["reference"])
        self.fields["answer"].error_messages["required"] = "Select the answer they gave"


class RecruitmentSettingsForm(GovUKModelForm):
    class Meta:
        model = RecruitmentSettings
        fields = ["registration_open", "adults_per_household", "phone", "session_dates", "retention_until"]
        help_texts = {
            "registration_open": "Residents with a letter can register online. Close registration before "
            "you run the selection: the panel is drawn from the people registered by then."
        }
        labels = {
            "registration_open": "Registration is open to the public",
            "adults_per_household": "Adults each letter's code may register",
            "session_dates": "Session dates",
            "retention_until": "Delete registration data on",
        }
        widgets = {"session_dates": forms.Textarea(attrs={"rows": 6})}

    adults_per_household = whole_number_field(
        "Adults per household",
        1,
        10,
        "Enter how many adults each letter's code may register",
        label="Adults each letter's code may register",
        help_text="Letters drawn from now on let this many adults in the household register; letters "
        "already drawn keep the number they were drawn with.",
    )

    phone = text_field(
        "Phone number",
        RecruitmentSettings._meta.get_field("phone").max_length,
        required=False,
        label="Phone number for registering by phone",
        help_text=RecruitmentSettings._meta.get_field("phone").help_text,
        validators=[phone_number],
    )

    retention_until = GovUKDateField(
        required=False,
        label="Delete registration data on",
        help_text="For example 31 12 2027. Only anonymous totals are kept after this date.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unneeded_special: list[QuotaQuestion] = []
        if self.instance.purged_at:
            # Registration never opens again once the data was deleted (``registration.is_open``), whatever
            # a forum purged before the purge closed it still has saved: the box shows it closed.
            self.initial["registration_open"] = False
        if self.instance.forum_id:
            self.fields["retention_until"].help_text = retention_hint(self.instance.forum.ends_on)
            # Opening registration is the last moment a question can be removed (none can once anyone
            # has registered), so special category questions that no quota uses need a tick to confirm.
            if not self.instance.registration_open:
                forum = self.instance.forum
                self.unneeded_special = quotas.unneeded_special_questions(
                    quotas.questions_with_categories(forum), quotas.questions_locked(forum)
                )
            if self.unneeded_special:
                self.fields["keep_special_questions"] = forms.BooleanField(
                    required=False,
                    label=(
                        "Keep the question listed above: we need its answers for another reason"
                        if len(self.unneeded_special) == 1
                        else "Keep the questions listed above: we need their answers for another reason"
                    ),
                )
                self.order_fields(["registration_open", "keep_special_questions"])
                self.rebuild_helper()

    @property
    def opening(self) -> bool:
        """Whether this change opens registration (it was closed)."""
        return bool(self.cleaned_data.get("registration_open")) and "registration_open" in self.changed_data

    def clean_session_dates(self) -> str:
        """Each date as the public reads it (it is a registrant's answer too): without control characters
        or the overrides that make it display in another order, as in the one-line boxes."""
        return "\n".join(plain_line(line) for line in self.cleaned_data["session_dates"].splitlines())

    def clean_registration_open(self) -> bool:
        if self.opening:
            problem = registration.opening_problem(self.instance.forum)
            if problem:
                raise forms.ValidationError(problem)
        return bool(self.cleaned_data["registration_open"])

    def clean_retention_until(self) -> date | None:
        """A date already past would erase the pool at the next scheduled purge, and one before the forum
        ends would delete the panel's contact details while the panel still meets: refuse either unless
        it was saved before (once passed, the data is gone and the officer still edits the other
        settings)."""
        day = self.cleaned_data["retention_until"]
        if day is None or "retention_until" not in self.changed_data:
            return day
        if day < timezone.localdate():
            raise forms.ValidationError("The date to delete registration data must be today or in the future")
        ends_on = self.instance.forum.ends_on if self.instance.forum_id else None
        if ends_on is not None and day < ends_on:
            raise forms.ValidationError(
                f"The date to delete registration data must be on or after {ends_on:%-d %B %Y}, when the "
                "forum ends: the panel’s contact details are needed until then"
            )
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._confirm_deletion_if_near(cleaned.get("retention_until"))
        if self.opening and self.unneeded_special and not cleaned.get("keep_special_questions"):
            named = " and ".join(f"‘{question.label}’" for question in self.unneeded_special)
            them = plural(len(self.unneeded_special), "it", "them")
            self.add_error(
                "keep_special_questions",
                f"Tick to confirm you need the answers to {named}, or remove {them} in ‘Questions for "
                f"registrants’ (or set a quota on {them}) before opening registration",
            )
        return cleaned

    def _confirm_deletion_if_near(self, day: date | None) -> None:
        """A deletion date set or changed to within ``privacy.CONFIRM_DELETION_WITHIN`` (or today) needs a
        tick naming what will be deleted: the daily purge may run before anyone looks again, and nothing
        it deletes can be brought back. The tick is added to the form, unticked, the first time, with the
        error asking for it."""
        if day is None or "retention_until" not in self.changed_data or not privacy.deletion_is_near(day):
            return
        require_tick(
            self,
            "confirm_deletion",
            forms.BooleanField(
                required=False,
                label=f"I understand that from {day:%-d %B %Y} this is deleted for good: "
                f"{privacy.DELETED_ON_RETENTION_DATE}",
                help_text=f"Kept: {privacy.KEPT_AFTER_RETENTION_DATE}. This cannot be undone.",
            ),
            f"Tick to confirm that the registration data is to be deleted from {day:%-d %B %Y}, or "
            "choose a later date",
        )

    def audit_details(self) -> dict[str, Any]:
        """What the audit log records of a save: the fields changed, and a new deletion date with the one
        it replaced (the date decides when everyone's registration is deleted)."""
        details: dict[str, Any] = {"fields": sorted(self.changed_data)}
        if "retention_until" in self.changed_data:
            before, after = self.initial.get("retention_until"), self.cleaned_data["retention_until"]
            details["retention_until"] = {
                "from": before.isoformat() if before else None,
                "to": after.isoformat() if after else None,
            }
        return details


def retention_hint(ends_on: date, today: date | None = None) -> str:
    """The deletion date's hint: on or after the day the forum ends, and never before today, with an
    example the form accepts (a forum that has ended already suggests a date after today)."""
    today = today or timezone.localdate()
    if ends_on >= today:
        when = f"The forum ends on {ends_on:%-d %B %Y}: choose that day or later"
    else:
        when = f"The forum ended on {ends_on:%-d %B %Y}: choose today or later"
    example = max(ends_on, today) + timedelta(days=90)
    return (
        f"{when}, for example {example:%-d %-m %Y}. Only anonymous totals are kept after this date, and "
        "panel members and participants lose their access to the forum."
    )


MAX_ANSWER_LENGTH = QuotaCategory._meta.get_field("label").max_length


def special_category_field(required: bool) -> forms.TypedChoiceField:
    """Yes or no (True or False): does a question ask for special category data (UK GDPR art. 9)?"""
    return forms.TypedChoiceField(
        choices=YES_NO,
        coerce=lambda answer: answer == "yes",
        widget=forms.RadioSelect,
        required=required,
        label="Does this question ask for special category data?",
        help_text="Racial or ethnic origin, religion or beliefs, health (including disability), sex life "
        "or sexual orientation, political opinions, trade union membership, genetic or biometric data. "
        "The law protects these answers more strongly: such a question always offers ‘Prefer not to say’.",
        error_messages={"required": "Select whether the question asks for special category data"},
    )


class QuestionWordingFields(GovUKForm):
    """The wording of a question, the same boxes and checks when it is added and when it is changed."""

    label = text_field(
        "Question",
        200,
        PlainLineField,
        label="Question",
        help_text="As registrants will see it, for example ‘How old are you?’",
        error_messages={"required": "Enter the question"},
    )
    hint = text_field("Hint", 300, PlainLineField, required=False, label="Hint (optional)")


class QuotaQuestionForm(QuestionWordingFields):
    categories = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Answers",
        help_text="One answer per line. Add the population share after a bar if you know it, "
        "for example ‘16 to 29 | 22%’.",
        error_messages={"required": "Enter at least two answers, one per line"},
    )
    allow_prefer_not_to_say = forms.BooleanField(
        required=False,
        label="Offer ‘Prefer not to say’",
        help_text="Always offered, ticked or not, when the question asks for special category data.",
    )
    # Unanswered, the page suggests an answer from the wording for the officer to check.
    special_category = special_category_field(required=False)

    special_category_suggested = False
    # Not ticked, but offered all the same: the question asks for special category data.
    prefer_not_to_say_added = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            "label",
            "hint",
            "categories",
            "allow_prefer_not_to_say",
            Field.radios("special_category", legend_size=Size.SMALL, inline=True),  # as every yes or no
        )

    def full_clean(self) -> None:
        """Posted without an answer to ``special_category`` but otherwise valid, the form answers it from
        the wording of the question, its hint and its answers (``quotas.suggests_special_category``) and
        says so in ``special_category_suggested``: the page shows the suggestion for the officer to
        confirm or change, and saves nothing until they do. With another error the radios stay empty:
        a suggestion ticked beside an error message would be saved, unseen, once the error is put right."""
        super().full_clean()
        if self.is_bound and not self.data.get("special_category") and not self._errors:
            wording = (self.data.get(name, "") for name in ("label", "hint", "categories"))
            self.data = self.data.copy()
            self.data["special_category"] = "yes" if quotas.suggests_special_category(*wording) else "no"
            self.special_category_suggested = True
        self._tick_prefer_not_to_say_if_special()

    def _tick_prefer_not_to_say_if_special(self) -> None:
        """A question asking for special category data always offers 'Prefer not to say'
        (``quotas.add_question``): the box shows it ticked when the page comes back (a suggestion or an
        error), and ``prefer_not_to_say_added`` tells the page to say it was added when saved unticked."""
        if not self.is_bound or self.data.get("special_category") != "yes":
            return
        if not self.data.get("allow_prefer_not_to_say"):
            self.data = self.data.copy()
            self.data["allow_prefer_not_to_say"] = "on"
            self.prefer_not_to_say_added = True
        self.cleaned_data["allow_prefer_not_to_say"] = True  # full_clean has set it, bound as the form is

    def clean_categories(self) -> list[tuple[str, Decimal | None]]:
        parsed = []
        for number, line in enumerate(self.cleaned_data["categories"].splitlines(), start=1):
            label, _bar, share_text = line.partition("|")
            label = plain_line(label)  # as the one-line boxes: no control characters or overrides
            if not label:  # a share alone made an answer with no words: a radio without a label
                if not share_text.strip():
                    continue
                raise forms.ValidationError(
                    f"Line {number}: write the answer before the bar, for example ‘16 to 29 | 22%’"
                )
            if len(label) > MAX_ANSWER_LENGTH:
                raise forms.ValidationError(
                    f"Line {number}: an answer must be {MAX_ANSWER_LENGTH} characters or fewer"
                )
            share = parse_share(share_text.strip()) if share_text.strip() else None
            if share_text.strip() and share is None:
                raise forms.ValidationError(
                    f"Line {number}: ‘{share_text.strip()}’ is not a share (use 22% or 0.22)"
                )
            parsed.append((label.strip(), share))
        if len(parsed) < 2:
            raise forms.ValidationError("Enter at least two answers, one per line")
        if len({label.casefold() for label, _share in parsed}) < len(parsed):
            raise forms.ValidationError("Each answer must be different")
        shares = [share for _label, share in parsed]
        rule = quotas.share_total_rule(shares)
        if rule:  # proposed quotas would then add up to more, or less, than the panel
            total = quotas.percent(quotas.share_total(shares))
            raise forms.ValidationError(f"The population shares add up to {total}: check them, {rule}")
        return parsed


class QuestionWordingForm(QuestionWordingFields):
    """Put right the wording of an existing question: its text, hint and each answer's words. Only the
    words: the keys that answers, quotas and population shares are stored under are not offered."""

    def __init__(self, *args: Any, question: QuotaQuestion, **kwargs: Any) -> None:
        super().__init__(*args, initial={"label": question.label, "hint": question.hint}, **kwargs)
        self.answer_fields: dict[str, int] = {}
        for number, category in enumerate(question.categories.all(), start=1):
            name = f"answer-{category.pk}"
            self.fields[name] = text_field(
                f"Answer {number}",
                MAX_ANSWER_LENGTH,
                PlainLineField,
                label=f"Answer {number}",
                initial=category.label,
                error_messages={"required": f"Enter answer {number}"},
            )
            self.answer_fields[name] = category.pk
        self.helper.layout = Layout("label", "hint", *self.answer_fields)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        seen: set[str] = set()
        for name in self.answer_fields:
            answer = cleaned.get(name)
            if answer and answer.casefold() in seen:
                self.add_error(name, f"{self.fields[name].label} must be different from the other answers")
            elif answer:
                seen.add(answer.casefold())
        return cleaned

    def answer_labels(self) -> dict[int, str]:
        """Each answer's new words by the category's id."""
        return {pk: self.cleaned_data[name] for name, pk in self.answer_fields.items()}


class SpecialCategoryForm(GovUKForm):
    """Change whether an existing question asks for special category data; the question is the heading.
    Marking it once people have answered it (``answered``, from ``quotas.answered_unmarked``) needs a tick
    to erase those answers, which were given without being told (``quotas.mark_special_category``)."""

    special_category = special_category_field(required=True)

    def __init__(self, *args: Any, question: QuotaQuestion, answered: int = 0, **kwargs: Any) -> None:
        super().__init__(
            *args, initial={"special_category": "yes" if question.special_category else "no"}, **kwargs
        )
        self.answered = answered
        field = self.fields["special_category"]
        # crispy-forms-gds prints a label as HTML (|safe); this one holds the officer's words.
        field.label = escape(f"Does ‘{question.label}’ ask for special category data?")
        self.helper.layout = Layout(
            Field.radios("special_category", legend_size=Size.LARGE, legend_tag="h1", inline=True)
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("special_category") and self.answered:
            require_tick(
                self,
                "erase_earlier_answers",
                forms.BooleanField(
                    required=False,
                    label=f"Erase the answers {counted(self.answered, 'person', 'people')} gave to this "
                    "question before it was marked",
                    help_text=quotas.EARLIER_ANSWERS_ERASED,
                ),
                "Tick to erase the answers given before the question was marked, or answer No",
            )
            cleaned["erase_earlier_answers"] = "erase_earlier_answers" not in self.errors
        return cleaned
