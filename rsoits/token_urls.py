"""The API token screen (admins issue, list and revoke knox tokens)."""

from django.urls import path

from . import token_views

urlpatterns = [
    path("", token_views.token_list, name="apitoken_list"),
    path("new/", token_views.token_create, name="apitoken_create"),
    path("<str:token_key>/revoke/", token_views.token_revoke, name="apitoken_revoke"),
]
