"""API errors: Django ValidationErrors from services become 400s naming each field."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    return drf_exception_handler(exc, context)


def outside_request_transaction(handler):
    """``handler`` for a view that runs outside ATOMIC_REQUESTS: DRF's handler marks the current
    atomic block for rollback, as if it were the request's transaction; here there is none (a
    failed service call has rolled its own back), so any enclosing block (a test's) is left as
    it was."""

    def handle(exc, context):
        connection = transaction.get_connection()
        before = connection.needs_rollback
        try:
            return handler(exc, context)
        finally:
            if connection.in_atomic_block:
                connection.set_rollback(before)

    return handle
