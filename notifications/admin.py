from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Disclosure, Notification, NotificationEvent, RoutingRule


@admin.register(RoutingRule)
class RoutingRuleAdmin(SimpleHistoryAdmin):
    list_display = ("event_type", "fugitive", "recipient_role", "priority", "active")
    list_filter = ("event_type", "fugitive", "active")


@admin.register(Notification)
class NotificationAdmin(SimpleHistoryAdmin):
    list_display = ("id", "event_type", "agency", "channel", "status", "attempts", "created_at")
    list_filter = ("status", "channel", "event_type")
    raw_id_fields = ("event", "registrant", "agency", "endpoint", "acknowledged_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # changes go through the services (acknowledge, retry)


@admin.register(NotificationEvent)
class NotificationEventAdmin(admin.ModelAdmin):
    list_display = ("id", "event_type", "registrant_id", "dedupe_key", "created_at")
    raw_id_fields = ("registrant", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Disclosure)
class DisclosureAdmin(admin.ModelAdmin):
    list_display = ("disclosed_at", "registrant_id", "recipient_name", "channel", "sender_name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # append-only, never pruned (5 U.S.C. 552a(c)(2))
