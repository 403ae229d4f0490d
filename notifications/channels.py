"""Delivery channels: e-mail through Django's e-mail backends, and signed webhooks (httpx).

Webhook signature: ``X-RSOITS-Signature: sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">``
keyed with the endpoint's secret, ``X-RSOITS-Timestamp`` (Unix seconds) and
``Idempotency-Key`` (the notification's key, the same on every attempt). A receiver checks the
signature, refuses stale timestamps and ignores a key it has already seen.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import threading
import time

import httpx
from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from . import content
from .models import Notification

SIGNATURE_HEADER = "X-RSOITS-Signature"
TIMESTAMP_HEADER = "X-RSOITS-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class DeliveryError(Exception):
    """The channel refused or failed; the message says why (shown to admins)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300) -> bool:
    """Check a webhook signature as a receiver would (used by the tests and documented for agencies)."""
    try:
        if abs(time.time() - int(timestamp)) > tolerance:
            return False
    except ValueError:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


_local = threading.local()


def _http_client() -> httpx.Client:
    """One connection pool per worker thread, reused across deliveries."""
    client = getattr(_local, "client", None)
    if client is None:
        client = httpx.Client(timeout=settings.NOTIFICATIONS_HTTP_TIMEOUT, follow_redirects=False)
        _local.client = client
    return client


def send_webhook(notification: Notification) -> None:
    endpoint = notification.endpoint
    if endpoint is None or not endpoint.active:
        raise DeliveryError("The webhook endpoint was removed or deactivated.")
    body = content.body_bytes(notification)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "RSOITS-notifications/1",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
        IDEMPOTENCY_HEADER: str(notification.idempotency_key),
    }
    try:
        response = _http_client().post(notification.address, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"Webhook {notification.address} unreachable: {exc.__class__.__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"Webhook {notification.address} answered HTTP {response.status_code}.")


def _mail_connection():
    """One SMTP connection per worker thread, reopened when the server dropped it."""
    connection = getattr(_local, "mail", None)
    if connection is None:
        connection = get_connection(fail_silently=False)
        connection.open()  # opened here, so send_messages leaves it open for the next message
        _local.mail = connection
    return connection


def send_email(notification: Notification) -> None:
    if not notification.address:
        raise DeliveryError("No e-mail address.")
    key = str(notification.idempotency_key)
    message = EmailMessage(
        subject=notification.subject,
        body=content.email_text(notification),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.address],
        # The Message-ID is the idempotency key: a receiver that sees it twice has it already.
        headers={"Message-ID": f"<{key}@rsoits.notifications>", "X-RSOITS-Idempotency-Key": key},
    )
    connection = _mail_connection()
    try:
        sent = connection.send_messages([message])
    except Exception as first:
        # A kept-open SMTP connection may have been closed by the server: retry once on a new one.
        with contextlib.suppress(Exception):  # the connection is being replaced anyway
            connection.close()
        _local.mail = None
        try:
            sent = _mail_connection().send_messages([message])
        except Exception as exc:
            raise DeliveryError(f"E-mail to {notification.address} failed: {exc.__class__.__name__}: {exc}") from first
    if sent != 1:
        raise DeliveryError(f"E-mail to {notification.address} was not accepted.")


def reset_connections() -> None:
    """Forget this thread's connections (after settings change in tests)."""
    for name in ("client", "mail"):
        conn = getattr(_local, name, None)
        if conn is not None:
            with contextlib.suppress(Exception):  # closing a dead connection
                conn.close()
            setattr(_local, name, None)
