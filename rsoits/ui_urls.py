"""Screens of the core app (agencies, installations, users, tokens, access log)."""

urlpatterns: list = []
