"""Cases app models, one module per area: hits (identity events from screening systems), travel
notices and cases (the NSOTC unit of work), and what USNCB and State exchange about them (foreign
notices, International Megan's Law records, passport actions)."""

from .dod import *  # noqa: F403
from .foreign import *  # noqa: F403
from .hits import *  # noqa: F403
from .travel import *  # noqa: F403
