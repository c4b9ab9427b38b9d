from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "civicforum.core"
    label = "core"
    verbose_name = "CivicForum core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from civicforum.core import addresses  # noqa: F401  (registers its system check)
