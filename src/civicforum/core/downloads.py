"""Files the staff pages hand to a spreadsheet."""

from __future__ import annotations

from django.http import HttpResponse


def csv_attachment(text: str, filename: str) -> HttpResponse:
    """``text`` as a CSV download that Excel opens as UTF-8: without the byte order mark it reads the
    file in the machine's legacy code page, and names such as "Zoë" or "Łukasz" come out garbled."""
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
