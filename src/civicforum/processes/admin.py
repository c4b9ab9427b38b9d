from django.contrib import admin

from civicforum.processes.models import Council, Forum, Stage


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Forum)
class ForumAdmin(admin.ModelAdmin):
    list_display = ["title", "council", "current_stage", "starts_on", "ends_on", "published"]
    list_filter = ["council", "current_stage", "published"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [StageInline]
