"""Pages of the cases app, one module per area, re-exported here."""

from .hits import *  # noqa: F403
