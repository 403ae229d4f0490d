"""API permission: signed in, and holding at least one role (least privilege)."""

from rest_framework.permissions import BasePermission

from rsoits.principal import principal_for


class HasMembership(BasePermission):
    message = "Your account has no role in any agency."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and principal_for(request.user).roles)


class IsSystemAdmin(BasePermission):
    message = "Only a system administrator may do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and principal_for(request.user).is_system_admin)
