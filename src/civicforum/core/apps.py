from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "civicforum.core"
    label = "core"
    verbose_name = "CivicForum core"
    default_auto_field = "django.db.models.BigAutoField"
