"""Screens of the core app (agencies, installations, users, tokens, access log)."""

from django.urls import path

from . import admin_views as v

urlpatterns: list = [
    path("agencies/", v.agency_list, name="agency_list"),
    path("agencies/new/", v.agency_create, name="agency_create"),
    path("agencies/<int:pk>/", v.agency_detail, name="agency_detail"),
    path("agencies/<int:pk>/edit/", v.agency_update, name="agency_update"),
    path("agencies/<int:agency_pk>/contacts/new/", v.contact_create, name="contact_create"),
    path("contacts/<int:pk>/edit/", v.contact_update, name="contact_update"),
    path("contacts/<int:pk>/delete/", v.contact_delete, name="contact_delete"),
    path("agencies/<int:agency_pk>/endpoints/new/", v.endpoint_create, name="endpoint_create"),
    path("endpoints/<int:pk>/edit/", v.endpoint_update, name="endpoint_update"),
    path("endpoints/<int:pk>/delete/", v.endpoint_delete, name="endpoint_delete"),
    path("installations/", v.installation_list, name="installation_list"),
    path("installations/new/", v.installation_create, name="installation_create"),
    path("installations/<int:pk>/", v.installation_detail, name="installation_detail"),
    path("installations/<int:pk>/edit/", v.installation_update, name="installation_update"),
    path("users/", v.user_list, name="user_list"),
    path("users/new/", v.user_create, name="user_create"),
    path("users/<int:pk>/", v.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", v.user_update, name="user_update"),
    path("users/<int:pk>/memberships/grant/", v.membership_grant, name="membership_grant"),
    path("memberships/<int:pk>/revoke/", v.membership_revoke, name="membership_revoke"),
    path("users/<int:pk>/unlock/", v.user_unlock, name="user_unlock"),
    path("users/<int:pk>/reset-mfa/", v.user_reset_mfa, name="user_reset_mfa"),
    path("access-log/", v.accesslog_list, name="accesslog_list"),
]
