"""The officer's forum form (create and edit), the people forms and the audit log's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from civicforum.core import audit
from civicforum.core.forms import (
    GovUKDateField,
    GovUKForm,
    GovUKModelForm,
    PlainLineField,
    PlainTextField,
    check_end_not_before_start,
    require_tick,
    text_field,
)
from civicforum.core.models import Role
from civicforum.core.roles import roles_on
from civicforum.processes.models import Council, Forum, Stage, StageKind
from civicforum.processes.services import (
    find_user,
    forum_date_problems,
    hiding_problems,
    new_account_email_problem,
    panel_size_problems,
    past_dates_warning,
    stage_date_problems,
    stage_past_dates_warning,
)
from civicforum.recruitment.services.privacy import forum_end_problems

MAX_PANEL_SIZE = 1000
# A hand-made answer outside the list gets the same plain words as none: Django's default names the value.
ROLE_ERRORS = {"required": "Select a role", "invalid_choice": "Select a role"}


def add_problems(form: forms.Form, problems: dict[str, str]) -> None:
    """Add a service's errors by field, each to a field without an error yet (one message per field)."""
    for name, message in problems.items():
        if name not in form.errors:
            form.add_error(name, message)


class ForumForm(GovUKModelForm):
    council = forms.ModelChoiceField(
        queryset=Council.objects.none(),
        empty_label=None,
        error_messages={"required": "Select the council running this forum"},
    )
    title = text_field(
        "Title",
        200,
        PlainLineField,
        help_text="A short name residents will recognise, for example ‘Town centres forum’.",
        error_messages={"required": "Enter a title"},
    )
    question = text_field(
        "Question",
        300,
        PlainTextField,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The question the panel will answer, in plain English.",
        error_messages={"required": "Enter the question the forum will answer"},
    )
    area = text_field(
        "Area",
        200,
        PlainLineField,
        help_text="The place the forum covers, for example ‘Northam town centre wards’.",
        error_messages={"required": "Enter the area the forum covers"},
    )
    summary = PlainTextField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Summary (optional)",
        help_text="What residents should know about the forum, in plain English. "
        "Leave a blank line between paragraphs.",
    )
    starts_on = GovUKDateField(label="Start date", help_text="For example, 14 3 2027")
    ends_on = GovUKDateField(label="End date", help_text="For example, 30 9 2027")
    panel_size = forms.IntegerField(
        label="Panel size",
        help_text="How many residents will sit on the panel, usually between 30 and 100.",
        min_value=1,
        max_value=MAX_PANEL_SIZE,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
        error_messages={
            "required": "Enter the panel size",
            "invalid": "Panel size must be a whole number, like 40",
            "min_value": "Panel size must be at least 1",
            "max_value": f"Panel size must be {MAX_PANEL_SIZE} or fewer",
        },
    )
    stages = forms.MultipleChoiceField(
        choices=StageKind.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Stages this forum will include",
        error_messages={"required": "Select at least one stage"},
    )
    current_stage = forms.ChoiceField(
        choices=StageKind.choices,
        label="Current stage",
        widget=forms.RadioSelect,
        error_messages={"required": "Select the stage the forum is in now"},
    )
    published = forms.BooleanField(
        required=False,
        label="Show this forum on the public website",
        help_text="Leave this unticked while you prepare the forum. Show it before registration opens.",
    )

    field_order = [
        *("council", "title", "question", "area", "summary"),
        *("starts_on", "ends_on", "panel_size", "stages", "current_stage", "published"),
    ]

    class Meta:
        model = Forum
        fields = [
            "council",
            "title",
            "question",
            "area",
            "summary",
            "starts_on",
            "ends_on",
            "panel_size",
            "current_stage",
            "published",
        ]

    def __init__(self, *args: Any, councils: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["council"].queryset = councils
        if self.instance.pk:
            self.fields["stages"].initial = list(self.instance.stages.values_list("kind", flat=True))
            # Only an existing forum has stages whose dates could be lost.
            self.fields["stages"].help_text = "Unticking a stage deletes its dates and description."
            del self.fields["council"]
        else:
            self.fields["stages"].initial = [kind.value for kind in StageKind]
            self.initial["published"] = False  # not the model's default: a draft stays off the public site
        self.rebuild_helper()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        check_end_not_before_start(self)
        stages, current = cleaned.get("stages"), cleaned.get("current_stage")
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if self.instance.pk and starts_on and ends_on and stages:
            kept = [*stages, current]  # saving keeps the current stage even if it is unticked
            add_problems(self, forum_date_problems(self.instance, starts_on, ends_on, kept))
        if self.instance.pk and ends_on and "ends_on" in self.changed_data:
            add_problems(self, forum_end_problems(self.instance, ends_on))
        panel_size = cleaned.get("panel_size")
        if self.instance.pk and panel_size and "panel_size" in self.changed_data:
            add_problems(self, panel_size_problems(self.instance, panel_size))
        if self.instance.pk and self.instance.published and not cleaned.get("published"):
            add_problems(self, hiding_problems(self.instance))
        if stages and current and current not in stages:
            self.add_error("current_stage", "Current stage must be one of the stages the forum includes")
        if ends_on and "ends_on" not in self.errors:
            confirm_past_dates(
                self,
                past_dates_warning(self.instance, ends_on, dates_changed(self)),
                "These dates are in the past: I am recording a forum that has already run",
                "Tick to confirm that the forum has already run, or change the end date",
            )
        return cleaned


def dates_changed(form: forms.ModelForm) -> bool:
    return bool({"starts_on", "ends_on"} & set(form.changed_data))


def confirm_past_dates(form: GovUKModelForm, warning: str, label: str, error: str) -> None:
    """With a ``warning`` (dates before today the officer may have mistyped), a tick below the dates that
    confirms them (``label``), added unticked the first time with ``error`` asking for it."""
    if warning:
        field = forms.BooleanField(required=False, label=label, help_text=warning)
        require_tick(form, "past_dates", field, error, after="ends_on")


class RoleForm(GovUKForm):
    """Give an existing account a role on a forum."""

    user = text_field(
        "Username or email address",
        254,
        label="Username or email address",
        help_text="The person must already have an account. Council administrators create accounts.",
        error_messages={"required": "Enter a username or email address"},
    )
    role = forms.ChoiceField(
        choices=Role.choices, widget=forms.RadioSelect, label="Role", error_messages=ROLE_ERRORS
    )

    def __init__(self, *args: Any, forum: Forum, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.forum = forum

    def clean_user(self) -> Any:
        identifier = self.cleaned_data["user"].strip()
        user = find_user(identifier)
        if user is None:
            raise ValidationError(
                "There is no active account with that username or email address: check it, "
                "or ask a council administrator to create the account"
            )
        return user

    def clean(self) -> dict[str, Any]:
        """Giving a role the person already holds would change nothing, yet say it had."""
        cleaned = super().clean()
        user, role = cleaned.get("user"), cleaned.get("role")
        if user is not None and role and role in roles_on(user, self.forum):
            name = user.get_full_name() or user.get_username()
            self.add_error("user", f"{name} is already {Role(role).in_a_sentence} on this forum")
        return cleaned


class LastOfficerRemovalForm(GovUKForm):
    """Removing the forum's last forum officer leaves only council administrators to run it: the remover
    says they know (``services.role_removal_warning`` says why it matters)."""

    understood = forms.BooleanField(
        label="I understand that this forum will have no forum officer",
        error_messages={
            "required": "Confirm that this forum will have no forum officer, or give someone else the role "
            "first"
        },
    )


class StageForm(GovUKModelForm):
    starts_on = GovUKDateField(label="Start date", required=False, help_text="For example, 14 3 2027")
    ends_on = GovUKDateField(label="End date", required=False, help_text="For example, 30 9 2027")
    summary = PlainTextField(
        required=False,
        label="What happens in this stage",
        help_text="Plain English for residents. Leave a blank line between paragraphs.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    class Meta:
        model = Stage
        fields = ["starts_on", "ends_on", "summary"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        check_end_not_before_start(self)
        dates = (cleaned.get("starts_on"), cleaned.get("ends_on"))
        add_problems(self, stage_date_problems(self.instance, *dates))
        if dates_changed(self) and not {"starts_on", "ends_on"} & set(self.errors):
            confirm_past_dates(
                self,
                stage_past_dates_warning(self.instance, *dates),
                "I have checked these dates: they are right",
                "Tick to confirm that these dates are right, or change them",
            )
        return cleaned


class NewAccountForm(GovUKForm):
    """Create an account for someone new to the forum and give them a role."""

    first_name = text_field("First name", 150, error_messages={"required": "Enter their first name"})
    last_name = text_field("Last name", 150, error_messages={"required": "Enter their last name"})
    email = text_field(  # it becomes the username, which holds 150 characters
        "Email address",
        150,
        forms.EmailField,
        label="Email address",
        help_text="This becomes their username.",
        error_messages={
            "required": "Enter their email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )
    role = forms.ChoiceField(choices=Role.choices, widget=forms.RadioSelect, error_messages=ROLE_ERRORS)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if problem := new_account_email_problem(email):
            raise ValidationError(problem)
        return email


class AuditLogFilterForm(GovUKForm):
    """The audit log's filters, sent by GET so a filtered page can be bookmarked and paged; empty is all."""

    action = forms.ChoiceField(
        required=False,
        label="Action",
        error_messages={"invalid_choice": "Select an action from the list"},
    )
    actor = forms.ChoiceField(
        required=False,
        label="Who",
        error_messages={"invalid_choice": "Select a user from the list"},
    )

    def __init__(self, *args: Any, forum: Forum, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actions, actors = audit.filter_choices(forum)
        self.fields["action"].choices = [("", "All actions")] + [(a, audit.describe(a)) for a in actions]
        self.fields["actor"].choices = [("", "Everyone")] + [(name, name) for name in actors]
