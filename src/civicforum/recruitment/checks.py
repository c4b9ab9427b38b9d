"""System checks: a production site must have its own field-encryption keys, and should run its background
tasks in a worker rather than inside the web request."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string
from django_tasks.backends.immediate import ImmediateBackend

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


@register(deploy=True)
def tasks_run_in_a_worker(app_configs: Any, **kwargs: Any) -> list[Warning]:
    backend = import_string(settings.TASKS["default"]["BACKEND"])
    if not issubclass(backend, ImmediateBackend):
        return []
    return [
        Warning(
            "Background tasks run inside the web request that starts them (TASKS_BACKEND is not 'database'), "
            "so a selection run, which may compute for SELECTION_TIME_LIMIT seconds, outlasts the web "
            "server's timeout and is left unfinished.",
            hint="Set TASKS_BACKEND=database and run one or more 'civicforum db_worker' processes.",
            id="recruitment.W001",
        )
    ]
