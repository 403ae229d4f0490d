"""Django admin (operators only). Core records keep their history; the access log is read-only."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AccessLog, Agency, AgencyContact, AgencyEndpoint, Installation, Membership, User


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin):
    list_display = ["username", "first_name", "last_name", "email", "is_active", "locked_at"]
    search_fields = ["username", "first_name", "last_name", "email"]
    list_filter = ["is_active"]
    exclude = ["password"]
    readonly_fields = ["last_login", "date_joined", "locked_at", "system_notice_acknowledged_at"]


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "jurisdiction", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]


@admin.register(AgencyContact)
class AgencyContactAdmin(SimpleHistoryAdmin):
    list_display = ["name", "agency", "email", "phone", "is_24x7"]
    list_select_related = ["agency"]
    search_fields = ["name", "agency__code"]


@admin.register(AgencyEndpoint)
class AgencyEndpointAdmin(SimpleHistoryAdmin):
    list_display = ["agency", "kind", "address", "secure", "active"]
    list_select_related = ["agency"]
    exclude = ["secret"]


@admin.register(Installation)
class InstallationAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "component", "state", "lea", "active"]
    list_select_related = ["lea"]
    search_fields = ["code", "name"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "agency", "role", "active"]
    list_select_related = ["user", "agency"]
    list_filter = ["role", "active"]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Append-only: nobody adds, changes or deletes rows here."""

    list_display = ["at", "username", "agency_code", "action", "outcome", "object_type", "object_id", "count"]
    list_filter = ["action", "outcome"]
    search_fields = ["username", "agency_code", "object_type", "object_id"]
    date_hierarchy = "at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
