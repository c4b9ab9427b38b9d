from django.contrib import admin

from civicforum.core.models import AuditEvent, CouncilAdministrator, ForumRole


@admin.register(ForumRole)
class ForumRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "forum", "role", "created_at"]
    list_filter = ["role", "forum"]
    search_fields = ["user__username", "forum__title"]


@admin.register(CouncilAdministrator)
class CouncilAdministratorAdmin(admin.ModelAdmin):
    list_display = ["user", "council", "created_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["created_at", "actor_label", "action", "forum", "target_label"]
    list_filter = ["action"]
    search_fields = ["actor_label", "action", "target_label"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
