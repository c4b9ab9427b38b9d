from django.apps import AppConfig


class ProcessesConfig(AppConfig):
    name = "civicforum.processes"
    label = "processes"
    verbose_name = "Forums"
    default_auto_field = "django.db.models.BigAutoField"
