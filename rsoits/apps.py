from django.apps import AppConfig


class RsoitsConfig(AppConfig):
    name = "rsoits"
    verbose_name = "RSOITS core"

    def ready(self) -> None:
        from . import auth  # noqa: F401  (signal receivers)
        from .principal import connect_cache_invalidation

        connect_cache_invalidation()
        cache_long_statements()


# The longest statement, and the most parameters, psycopg keeps the conversion of: the
# registrant page's one statement (its nested rows and timeline probes) is about 6.5 KB with 85
# parameters (the JSON documents' keys among them).
LONG_STATEMENT_BYTES = 16 * 1024
LONG_STATEMENT_PARAMS = 200


def cache_long_statements() -> None:
    """psycopg rewrites a statement's placeholders (``%s`` to ``$1``) with a regular expression
    over the whole text, and keeps the result only for statements up to 4 KB with up to 50
    parameters (``psycopg._queries.MAX_CACHED_STATEMENT_LENGTH`` and ``..._PARAMS``), so as not
    to fill its cache with one-off bulk inserts. The registrant page's statement is beyond both
    and was rewritten afresh on every request (about 0.5 ms of the page's 6). The application's
    long statements are a fixed few; a bulk insert of more than a few rows has more than 200
    parameters and stays out, and the cache keeps at most 128 statements whatever comes in."""
    try:
        from psycopg import _queries
    except ImportError:  # (SQLite only)
        return
    if isinstance(getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", None), int):
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, LONG_STATEMENT_BYTES)
    if isinstance(getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", None), int):
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, LONG_STATEMENT_PARAMS)
