"""GOV.UK Design System form building blocks (via crispy-forms-gds) shared by every app.

Subclass ``GovUKForm`` / ``GovUKModelForm``; templates render the form with
``{% include "core/includes/form.html" with form=form submit_label="Save" %}`` and the page
puts ``{% include "core/includes/error_summary.html" with errors=form|error_links %}`` above the heading.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Size
from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator, RegexValidator
from django.views.decorators.debug import sensitive_variables

from civicforum.core import rate_limits
from civicforum.plain_text import as_shown, plain_line
from civicforum.wording import whole_number


class GovUKHelperMixin:
    """Attach a crispy-forms-gds helper that renders fields only; templates own <form> and buttons."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rebuild_helper()

    def rebuild_helper(self) -> None:
        """Call again after adding, removing or reordering fields in a subclass's ``__init__``."""
        helper = FormHelper(self)
        helper.form_tag = False
        helper.disable_csrf = True  # the page's <form> has its own {% csrf_token %}
        helper.label_size = Size.SMALL
        helper.legend_size = Size.SMALL
        self.helper = helper


class GovUKForm(GovUKHelperMixin, forms.Form):
    pass


class GovUKModelForm(GovUKHelperMixin, forms.ModelForm):
    pass


def require_tick(
    form: GovUKForm | GovUKModelForm, name: str, field: forms.BooleanField, error: str, after: str = ""
) -> None:
    """From a form's ``clean``: add the tick box ``field`` as ``name`` (just below the field ``after`` if
    given, else last) for a confirmation that what was entered needs, with ``error`` on it unless the
    submitted data ticks it, so it is shown unticked, with the error, the first time."""
    form.fields[name] = field
    if after:
        names = list(form.fields)
        names.insert(names.index(after) + 1, names.pop())
        form.order_fields(names)
    form.rebuild_helper()
    if not field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name)):
        form.add_error(name, error)


def text_field(
    name: str, max_length: int, field_class: type[forms.CharField] = forms.CharField, **kwargs: Any
) -> forms.CharField:
    """A text box of at most ``max_length`` characters whose errors name it, GOV.UK style: '``name`` must be
    1,000 characters or fewer' (the limit written as people write it), and '``name`` must not include
    control characters' for a null character (Django's own check said 'Null characters are not allowed.',
    naming no box)."""
    too_long = {"max_length": f"{name} must be {whole_number(max_length)} characters or fewer"}
    error_messages = too_long | kwargs.pop("error_messages", {})
    field = field_class(max_length=max_length, error_messages=error_messages, **kwargs)
    no_null = ProhibitNullCharactersValidator(f"{name} must not include control characters")
    checks = [no_null if isinstance(c, ProhibitNullCharactersValidator) else c for c in field.validators]
    field.validators = [
        check if isinstance(check, MaxLengthValidator) else _unless_longer_than(max_length, check)
        for check in checks
    ]
    return field


class PlainTextField(forms.CharField):
    """Text typed in a box, as it will be read: each line break one ``\\n`` (a browser sends two
    characters, which the GOV.UK character count counts as one, so text at the limit was refused) and
    control characters removed, before the length is checked. The browser is not told the limit
    (``maxlength``): it would cut pasted text short without saying so; the GOV.UK character count
    (``Field.textarea(..., max_characters=...)``) and the error message say it instead."""

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return as_shown(text.replace("\r\n", "\n").replace("\r", "\n")).strip()


class PlainLine:
    """A one-line box's text as it will be read (mixed into a ``CharField`` or ``EmailField``): control
    characters and bidirectional overrides and isolates removed (``civicforum.plain_text``, as in
    ``PlainTextField``), and a tab or a line break (only a pasted tab fits in a one-line box) made a
    space, before it is checked. A name pasted with them could show reversed, or as boxes, on the
    officer's lists and in their spreadsheets; nobody can see them to take them out."""

    def to_python(self, value: Any) -> str:
        return plain_line(super().to_python(value))  # type: ignore[misc]


class PlainLineField(PlainLine, forms.CharField):
    pass


class PlainEmailField(PlainLine, forms.EmailField):
    pass


def _unless_longer_than(max_length: int, check: Callable[[Any], None]) -> Callable[[Any], None]:
    """``check``, skipped for text over ``max_length``: the length message alone says what to fix (an
    email address over 320 characters also fails the format check, and got two messages for one box)."""

    def checked(value: Any) -> None:
        if len(value) <= max_length:
            check(value)

    return checked


class GovUKDateField(DateInputField):
    """Day, month and year boxes (the GOV.UK date input) with errors that name the date."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # A date half typed reaches ``compress``, which says what is missing ('must include a year'), even
        # when the date is required: by default any empty box of a required date gave 'Enter the date'.
        self.require_all_fields = False
        if self.label:
            self.error_messages["required"] = f"Enter the {str(self.label).lower()}"
        not_real = RegexValidator(r"^[0-9]+$", f"{self.name} must be a real date")
        for part in self.fields:
            part.validators = [not_real]

    def clean(self, value: Any) -> date | None:
        try:
            return super().clean(value)
        except ValidationError as error:  # each box's error carries what it holds, so none look alike
            raise ValidationError(list(dict.fromkeys(error.messages))) from None

    @property
    def name(self) -> str:
        """How messages start: the label, or 'Date'."""
        return str(self.label).capitalize() if self.label else "Date"

    def compress(self, data_list: list[Any]) -> date | None:
        day, month, year = data_list
        name = self.name
        if not (day and month and year):
            parts = zip(("day", "month", "year"), data_list, strict=True)
            missing = [part for part, typed in parts if not typed]
            if len(missing) < 3:  # a date half typed is a mistake, not an empty optional date
                message = f"{name} must include a {' and '.join(missing)}"
                for part, typed in zip(self.fields, data_list, strict=True):
                    if not typed:  # the error summary links to the first box to fill in
                        part.widget.errors = [*getattr(part.widget, "errors", []), message]
                raise ValidationError(message, code="incomplete")
            return None
        if len(year) != 4:  # '27' would be the year 27, not 2027
            example = f"20{year}" if len(year) == 2 else date.today().year  # what they meant, or this year
            raise ValidationError(
                f"{name} must include a year with 4 numbers, like {example}", code="short_year"
            )
        try:
            return date(day=int(day), month=int(month), year=int(year))
        except (ValueError, OverflowError) as error:
            raise ValidationError(f"{name} must be a real date", code="invalid_date") from error


# Wrong passwords an account may have in rate_limits.WINDOW_SECONDS before its sign-in pauses. Counted by
# account, not address: staff accounts reach residents' personal data, and guesses from many addresses
# must not add up to many more tries.
MAX_FAILED_SIGN_INS = 10
SIGN_INS = "sign-in-failures"


class LoginForm(GovUKHelperMixin, AuthenticationForm):
    """The sign-in form, its messages in GOV.UK style (no full stop at the end): Django's ended with one
    and said 'Both are case-sensitive', which an email address as username is not (``clean_username``).
    The password's hint says it is."""

    error_messages = {
        "invalid_login": "Enter a correct username and password",
        "inactive": "This account is inactive: ask your council administrator to reactivate it",
        "too_many": "There have been too many wrong passwords for this account: wait 15 minutes and try "
        "again, or ask your council administrator for help",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"
        self.fields["password"].help_text = "Your password is case-sensitive."
        # Django focuses the username box on opening: a screen reader then starts mid-page, past the
        # heading and the skip link, and GOV.UK advises against moving focus on load.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        for name, field in self.fields.items():  # Django's 'Null characters are not allowed.' names no box
            field.validators = [
                ProhibitNullCharactersValidator(f"{name.capitalize()} must not include control characters")
                if isinstance(check, ProhibitNullCharactersValidator)
                else check
                for check in field.validators
            ]

    def clean_username(self) -> str:
        """An email address as the account's username, typed with capitals ('Grace@Council.example'):
        accounts made here keep it in lower case, and email addresses are not told apart by case."""
        username: str = self.cleaned_data["username"]
        users = get_user_model().objects
        if "@" in username and not users.filter(username=username).exists():
            same = list(users.filter(username__iexact=username).values_list("username", flat=True)[:2])
            if len(same) == 1:
                return same[0]
        return username

    def clean(self) -> dict[str, Any]:
        """Refuse even the right password while the account is paused (or the pause stops no guessing)."""
        account = str(self.cleaned_data.get("username") or "").casefold()
        if account and rate_limits.is_limited(SIGN_INS, account, MAX_FAILED_SIGN_INS):
            raise ValidationError(self.error_messages["too_many"], code="too_many")
        try:
            return super().clean()
        except ValidationError as error:
            if account and error.code == "invalid_login":
                rate_limits.count_failure(SIGN_INS, account)
            raise


def check_end_not_before_start(form: forms.Form, start: str = "starts_on", end: str = "ends_on") -> None:
    """Add a GOV.UK-style error to ``end`` when both dates are present and out of order."""
    starts_on, ends_on = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if starts_on and ends_on and ends_on < starts_on:
        label = str(form.fields[end].label or end).capitalize()
        form.add_error(
            end, f"{label} must be the same as or after the {str(form.fields[start].label).lower()}"
        )


class SetPasswordGovUKForm(GovUKHelperMixin, SetPasswordForm):
    """The set-password page's form. Its messages come from ``civicforum.core.passwords``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].label = "Confirm new password"
        self.fields["new_password2"].help_text = "Type the same password again."
        self.fields["new_password2"].error_messages["required"] = "Confirm your new password"
        self.error_messages["password_mismatch"] = "The two passwords do not match"

    @sensitive_variables("password")
    def clean(self) -> dict[str, Any]:
        """A password too weak is the New password box's error, not the confirmation box's as in Django,
        and only the first reason it fails (``AUTH_PASSWORD_VALIDATORS`` order): GOV.UK shows one message
        a box, and '12345678' got two."""
        self.validate_passwords("new_password1", "new_password2")
        password = self.cleaned_data.get("new_password1")
        if password:
            try:
                password_validation.validate_password(password, self.user)
            except ValidationError as error:
                self.add_error("new_password1", error.messages[0])
        return self.cleaned_data
