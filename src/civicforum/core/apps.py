from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "civicforum.core"
    label = "core"
    verbose_name = "CivicForum core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from civicforum.core import accessibility, addresses  # noqa: F401  (register their system checks)
