from typing import Any

from django.contrib import admin
from django.core.validators import MaxLengthValidator
from django.db import models
from django.http import HttpRequest

from civicforum.processes.models import Council, Forum, Stage
from civicforum.processes.services import SLUG_LENGTH


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    # A website typed without its scheme is a council's: https, as Django 6 will assume.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Forum)
class ForumAdmin(admin.ModelAdmin):
    list_display = ["title", "council", "current_stage", "starts_on", "ends_on", "published"]
    list_filter = ["council", "current_stage", "published"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [StageInline]

    def get_form(self, request: HttpRequest, obj: Forum | None = None, **kwargs: Any) -> Any:
        """A new forum's address as short as the create form makes it, so its letters can print it whole;
        existing forums keep theirs."""
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            slug = form.base_fields["slug"]
            slug.max_length = SLUG_LENGTH
            slug.widget.attrs["maxlength"] = str(
                SLUG_LENGTH
            )  # the admin's title-to-address script stops there
            slug.validators.append(MaxLengthValidator(SLUG_LENGTH))
        return form
