from django.apps import AppConfig


class ProcessesConfig(AppConfig):
    name = "civicforum.processes"
    label = "processes"
    verbose_name = "Forums"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from civicforum.core.audit import DESCRIPTIONS, DETAILS, FIELD_LABELS, VALUE_LABELS, form_labels
        from civicforum.processes.forms import ForumForm, StageForm
        from civicforum.processes.models import StageKind

        DESCRIPTIONS.update(
            {
                "account.created": "Account created",
                "account.link_issued": "New set-password link made",
                "forum.created": "Forum created",
                "forum.updated": "Forum details changed",
                "role.granted": "Role given",
                "role.removed": "Role removed",
                "stage.updated": "Stage dates or description changed",
            }
        )
        DETAILS.update(
            {
                "account.created": "{role}",
                "forum.updated": "{changed}",
                "role.granted": "{role}",
                "role.removed": "{role}",
                "stage.updated": "{stage}: {changed}",
            }
        )
        FIELD_LABELS.update(
            {"forum.updated": form_labels(ForumForm), "stage.updated": form_labels(StageForm)}
        )
        VALUE_LABELS["stage"] = dict(StageKind.choices)
