"""System check: a production site must have its own field-encryption keys."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from civicforum.recruitment.encryption import configured_keys


@register()
def field_encryption_keys_configured(app_configs: Any, **kwargs: Any) -> list[Error]:
    if configured_keys():
        return []
    return [
        Error(
            "FIELD_ENCRYPTION_KEYS is not set, so registration data could not be stored encrypted.",
            hint="Set the FIELD_ENCRYPTION_KEYS environment variable to a long random string.",
            id="recruitment.E001",
        )
    ]
