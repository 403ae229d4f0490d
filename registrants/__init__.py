"""Registrants app."""
