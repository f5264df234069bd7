from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from helpline.accounts.models import ApiToken, AuditEvent, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["name"]
    list_display = ["name", "email", "role", "sees_all_tickets", "is_active"]
    list_filter = ["role", "is_active", "teams"]
    search_fields = ["name", "email"]
    fieldsets = [
        (None, {"fields": ["email", "name", "password"]}),
        ("Access", {"fields": ["role", "sees_all_tickets", "is_active", "time_zone"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["email", "name", "role", "password1", "password2"]}),
    ]
    filter_horizontal = ()


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["members"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "hint",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    readonly_fields = ["user", "name", "hint", "created_at", "expires_at", "last_used_at"]
    fields = [*readonly_fields, "revoked_at"]

    def has_add_permission(self, request: object) -> bool:
        # Tokens are created with `helpline token create`, which shows the raw value once.
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the verbs and never edited."""

    list_display = ["created_at", "actor", "action", "object_repr"]
    list_filter = ["action"]
    search_fields = ["object_repr", "object_id", "actor__email"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
