"""PDF of a foreign notice, rendered by WeasyPrint from the notice's content snapshot only (never
from the registry record), so the PDF says exactly what the destination country was told."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from .models import ForeignNotice


def foreign_notice_html(notice: ForeignNotice) -> str:
    return render_to_string(
        "cases/foreignnotice_pdf.html", {"notice": notice, "content": notice.content, "generated_at": timezone.now()}
    )


def foreign_notice_pdf(notice: ForeignNotice) -> bytes:
    """The notice as a tagged PDF (PDF/UA-friendly structure for screen readers)."""
    from weasyprint import HTML

    return HTML(string=foreign_notice_html(notice), base_url=None).write_pdf(pdf_variant="pdf/ua-1")
