from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "civicforum.recruitment"
    label = "recruitment"
    verbose_name = "Recruitment and selection"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from civicforum.recruitment import checks  # noqa: F401  (registers the system check)
