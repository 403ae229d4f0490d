"""Writes of the cases app, one module per area; import from here."""

from .dod import *  # noqa: F403
