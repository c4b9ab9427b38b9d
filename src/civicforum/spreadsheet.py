"""Cells for CSV files that officers open in a spreadsheet.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, so text that
residents typed (an address, a public comment) could otherwise run on an officer's machine (OWASP:
CSV injection). Plain Python, so that engines and Django apps can both use it.
"""

from __future__ import annotations


def spreadsheet_safe(cell: str) -> str:
    """``cell`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell
