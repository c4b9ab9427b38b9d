"""Field-level encryption for personal and special-category data (UK GDPR art. 9), at rest.

Keys come from the ``FIELD_ENCRYPTION_KEYS`` setting (environment variable of the same name,
comma-separated, newest first): any long random strings, each stretched to a Fernet key with SHA-256.
The first key encrypts; all of them decrypt. To rotate, put a new key first, run
``civicforum rotate_field_encryption`` (re-encrypts every row with the new key), then drop the old key.
A fixed development key is used only when ``DEBUG`` is on or the site still runs on the foundation's
insecure development ``SECRET_KEY`` (i.e. never in a configured production deployment, where the
system check ``recruitment.E001`` stops the site from starting without keys).
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

DEVELOPMENT_KEY = "civicforum-development-only-field-key"
_INSECURE_SECRET_PREFIX = "django-insecure"  # Django's own mark for a development key


def configured_keys() -> list[str]:
    keys = [k for k in getattr(settings, "FIELD_ENCRYPTION_KEYS", []) if k]
    if keys:
        return keys
    if settings.DEBUG or str(settings.SECRET_KEY).startswith(_INSECURE_SECRET_PREFIX):
        return [DEVELOPMENT_KEY]
    return []


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "Set FIELD_ENCRYPTION_KEYS (a long random string) to store registration data encrypted."
        )
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"civicforum-field:" + k.encode()).digest()))
            for k in keys
        ]
    )


def fernet() -> MultiFernet:
    return _fernet_for(tuple(configured_keys()))


def encrypt_text(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "Stored personal data cannot be decrypted with FIELD_ENCRYPTION_KEYS; was a key removed?"
        ) from None


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; readable in Python, unreadable in the database and its backups.

    Lookups on the plain text are impossible by design; store a keyed hash alongside when you must
    find rows by value (as ``Respondent.identity_hash`` does for duplicate detection).
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return self.decode(value)
        return self.decode(decrypt_text(value))

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt_text(self.encode(value))

    def encode(self, value: Any) -> str:
        return str(value)

    def decode(self, plain: str | None) -> Any:
        return plain


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (e.g. demographic answers) stored encrypted as one token."""

    def encode(self, value: Any) -> str:
        return json.dumps(value, sort_keys=True)

    def decode(self, plain: str | None) -> Any:
        if plain is None or plain == "":
            return None
        return json.loads(plain)
