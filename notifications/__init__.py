"""Notifications app."""
