"""Field checks shared by the travel notice and case models, forms and serializers."""

from __future__ import annotations

from typing import Any

import filetype
import pycountry
from django.conf import settings
from django.template.defaultfilters import filesizeformat


def country_error(code: str) -> str:
    """The error for a country code that is not an ISO 3166 alpha-2 country, or ``""``."""
    if not code:
        return "Give the country (ISO 3166 two-letter code)."
    if len(code) != 2 or pycountry.countries.get(alpha_2=code.upper()) is None:
        return f"“{code}” is not an ISO 3166 country code (two letters, e.g. FR)."
    return ""


def sniff_content_type(upload: Any) -> str:
    """The content type the file's bytes show (not what the browser claimed). Plain text has no
    signature: it is text when its first kilobytes decode as UTF-8 without NUL bytes."""
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(position)
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain" if "\x00" not in text else "application/octet-stream"


def attachment_errors(upload: Any, claimed_type: str, size: int | None) -> list[str]:
    """Why an uploaded attachment is refused (too large, or a type not allowed), or ``[]``."""
    errors: list[str] = []
    max_bytes = settings.CASE_ATTACHMENT_MAX_BYTES
    allowed = set(settings.CASE_ATTACHMENT_CONTENT_TYPES)
    if not upload:
        return ["Choose a file."]
    if size is None or size <= 0:
        errors.append("The file is empty.")
    elif size > max_bytes:
        errors.append(f"The file is {filesizeformat(size)}; the limit is {filesizeformat(max_bytes)}.")
    actual = sniff_content_type(upload)
    if actual not in allowed:
        errors.append(f"Files of type {actual} are not accepted (allowed: {', '.join(sorted(allowed))}).")
    elif claimed_type and claimed_type.split(";")[0].strip() != actual:
        errors.append(f"The file says it is {claimed_type} but its content is {actual}.")
    return errors
