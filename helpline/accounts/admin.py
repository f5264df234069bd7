from datetime import datetime

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpline.accounts import actions, signin
from helpline.accounts.models import ApiToken, AuditEvent, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["name"]
    list_display = ["name", "email", "role", "sees_all_tickets", "is_active", "sign_in_locked"]
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
    actions = ["unlock_sign_in"]

    @admin.display(description=_("Sign-in locked until"))
    def sign_in_locked(self, user: User) -> datetime | None:
        return signin.account_throttle().locked_until(signin.account_subject(user.email))

    @admin.action(description=_("Unlock sign-in of the selected agents"))
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        assert isinstance(request.user, User)
        cleared = actions.unlock_sign_in(
            emails=[user.email for user in queryset], acting_user=request.user
        )
        if not cleared:
            self.message_user(request, _("None of the selected agents had failed sign-ins."))
            return
        message = ngettext(
            "Sign-in unlocked for %(count)d agent.",
            "Sign-in unlocked for %(count)d agents.",
            len(cleared),
        ) % {"count": len(cleared)}
        self.message_user(request, message, messages.SUCCESS)


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
