from django.contrib import admin

from helpline.tickets.models import Category, CustomField, Status, Tag, Ticket


@admin.register(Status)
class StatusAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category", "pauses_sla", "is_default", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ["label", "key", "kind", "is_active", "position"]
    prepopulated_fields = {"key": ["label"]}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: tickets change through actions (the API and, later, the workspace),
    so every change lands on the timeline."""

    list_display = ["number", "subject", "status", "priority", "assignee", "team", "updated_at"]
    list_filter = ["status", "priority", "channel", "team"]
    search_fields = ["number", "subject"]
    list_select_related = ["status", "assignee", "team"]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
