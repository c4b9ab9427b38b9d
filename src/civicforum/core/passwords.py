"""Django's password checks with messages in GOV.UK style: no full stop at the end of an error message,
no contractions ('can’t'), and the box named as the person sees it. Settings' AUTH_PASSWORD_VALIDATORS
name these, so every form that sets a password (the set-password page, the Django admin) uses them.
Also how long a link to choose a password works, as the pages say it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import password_validation

from civicforum.wording import counted

TIME_UNITS = (("day", 24 * 60 * 60), ("hour", 60 * 60), ("minute", 60), ("second", 1))


def link_lifetime() -> str:
    """How long a link to choose a password works, in words ('3 days', '1 day', '12 hours'): Django
    refuses it after settings.PASSWORD_RESET_TIMEOUT, so the pages handing out or refusing a link say
    that, not a number of their own. The largest unit that counts it whole is used."""
    seconds = int(settings.PASSWORD_RESET_TIMEOUT)
    unit, size = next((unit, size) for unit, size in TIME_UNITS if seconds % size == 0)
    return counted(seconds // size, unit, f"{unit}s")


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return f"Password must be {self.min_length} characters or more"

    def get_help_text(self) -> str:
        return f"Your password must be {self.min_length} characters or more."


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def get_error_message(self) -> str:
        # Django fills in the detail it is like: 'username', 'first name', 'email address'...
        return "Password is too similar to your %(verbose_name)s: choose one that is harder to guess"

    def get_help_text(self) -> str:
        return "Your password must not be similar to your name, username or email address."


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return "Password is one that many people use: choose one that is harder to guess"

    def get_help_text(self) -> str:
        return "Your password must not be one that many people use."


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def get_error_message(self) -> str:
        return "Password must include letters or symbols, not only numbers"

    def get_help_text(self) -> str:
        return "Your password must not be only numbers."
