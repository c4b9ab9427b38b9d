"""Cells for CSV files that officers open in a spreadsheet, and CSV files they give the engines.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (OWASP adds a
leading tab or carriage return), so text that residents typed (an address, a public comment) could
otherwise run on an officer's machine (OWASP: CSV injection). Plain Python, so that engines and
Django apps can both use it.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

from civicforum.plain_text import hidden_characters, invisible_characters, not_showing


def spreadsheet_safe(cell: str) -> str:
    """``cell`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def id_problem(name: str) -> str | None:
    """Why an id (a column name, a facilitator) must be refused, or None: it would run as a formula when
    an officer opens the results, or it holds characters that do not show but change how it displays
    (``plain_text.CONTROL_CHARACTERS``). Quoting or cleaning it in the results would stop them matching
    the input when read back (``--past``, ``selection verify``), so it has to change at its source."""
    hidden = hidden_characters(name)
    if hidden:
        many = len(hidden) > 1
        return (
            f"{printable(repr(name))} holds {', '.join(hidden)}: {'they do' if many else 'it does'} not show "
            "but can make text display in another order than it reads, or hide part of it; type it again "
            f"without {'those characters' if many else 'that character'}"
        )
    if name == spreadsheet_safe(name):
        return None
    return (
        f"{printable(repr(name))} starts with {printable(repr(name[0]))}, which a spreadsheet would run as "
        "a formula when the results are opened; make it start with a letter or digit"
    )


def value_problem(value: str) -> str | None:
    """Why a value that sorts people into groups (a feature's value, such as 'Female') must be refused, or
    None: it holds characters that do not show (``plain_text.invisible_characters``), so it would be a
    group of its own beside the same word typed without them."""
    hidden = invisible_characters(value)
    if not hidden:
        return None
    return (
        f"{printable(repr(value))} holds {not_showing(hidden)} but makes it a different value from the "
        "same word typed without it"
    )


# How two values that ``loose_value`` makes equal differ, for messages.
LOOSE_VALUE_DIFFERENCE = "differ only in capitals, spaces or how an accent is typed"


def loose_value(text: str) -> str:
    """What a value or a name a person typed reads as: capitals, runs of spaces and how an accent is
    encoded (one character or a letter plus a combining mark) ignored."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


# How two ids that ``loose_id`` makes equal differ, for messages.
LOOSE_ID_DIFFERENCE = (
    "they differ only in capitals, leading zeros (which a spreadsheet drops from numbers), how an accent "
    "is typed or characters that do not show (such as a zero-width space)"
)


def loose_id(text: str) -> str:
    """What an id looks like to a reader: capitals, leading zeros (which a spreadsheet drops from a
    number), how an accent is encoded (one character or a letter plus a combining mark) and invisible
    formatting characters (a zero-width space pasted from a web page) ignored."""
    shown = "".join(char for char in text if unicodedata.category(char) != "Cf")
    loose = unicodedata.normalize("NFKC", shown).casefold()
    return (loose.lstrip("0") or "0") if loose.isdigit() else loose


class CsvRowError(ValueError):
    """A CSV file that cannot be read, with the 1-based row (as a spreadsheet numbers it) at fault."""

    def __init__(self, row: int, message: str) -> None:
        self.row = row
        super().__init__(message)


# Far beyond any panel, pool or rule file (opinions' votes.csv is capped here too); reading a larger file,
# or a device such as /dev/zero given by mistake, whole ended in a MemoryError traceback.
MAX_CSV_BYTES = 200_000_000


# The first bytes of a workbook: a ZIP archive (.xlsx, and LibreOffice's .ods) or an OLE file (.xls).
WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


class CsvFileError(ValueError):
    """A file refused as a whole: larger than ``MAX_CSV_BYTES``, or a spreadsheet workbook rather than
    CSV text; the message says so, for the engine to prefix the file."""


def read_csv_records(path: Path) -> list[list[str]]:
    """The records of a UTF-8 CSV file (BOM allowed), one per spreadsheet row, blank rows included.

    Refuses, naming the row, what ``csv.reader`` would either crash on (a cell over its size limit,
    usually a quote left open) or pass on silently (a quote left open at the end swallowing the rows
    after it, a NUL character hidden inside a value), so every engine gives the officer the same
    located message. Raises OSError when the file cannot be opened, CsvFileError when it is larger
    than ``MAX_CSV_BYTES`` (read no further) or is a workbook (whose bytes read as 'not UTF-8 text', or
    as a NUL character, which names no fix).
    """
    with path.open("rb") as handle:
        data = handle.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise CsvFileError(
            f"is larger than {MAX_CSV_BYTES // 1_000_000} MB, far more than any file this command reads; "
            "check that this is the right file"
        )
    if data.startswith(WORKBOOK_SIGNATURES):
        raise CsvFileError(
            "looks like an Excel workbook, not a CSV file; in Excel use 'Save As' > 'CSV UTF-8 (Comma "
            "delimited)' and give that file"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvRowError(
            data[: error.start].count(b"\n") + 1,
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} cannot be read); in Excel use 'Save As' > "
            "'CSV UTF-8 (Comma delimited)'",
        ) from error
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), strict=True):
            if any("\0" in cell for cell in record):
                raise CsvRowError(
                    len(records) + 1,
                    "holds a NUL character, which a text CSV never does; open the file in a spreadsheet and "
                    "save it again as 'CSV UTF-8'",
                )
            records.append(record)
    except csv.Error as error:
        raise CsvRowError(
            len(records) + 1,
            f'cannot be read as CSV ({error}); look for a quote (") that opens a cell but never closes '
            "it, or text straight after a closing quote",
        ) from error
    return records


def printable(text: str) -> str:
    """``text`` with control characters shown as escapes (ESC as \\x1b, a line break in a cell as \\n), so
    a message quoting a hostile cell cannot move the cursor or recolour the officer's terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


# What spreadsheets in other locales (or a tab-separated export) put between values instead of commas.
SEPARATORS = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}


def other_separator(header: Sequence[str]) -> str | None:
    """How the columns of a header read as one cell are separated (such as 'semicolons (;)'), or None:
    Excel in many European locales saves "CSV" with semicolons, and every column but the first would
    otherwise be reported missing although the officer can see it."""
    if len(header) != 1:
        return None
    return next((name for mark, name in SEPARATORS.items() if mark in header[0]), None)


def repeated_columns(header: Sequence[str], key: Callable[[str], str]) -> list[str]:
    """Header names given more than once (compared by ``key``), which would be read from one copy only."""
    keys = [key(name) for name in header]
    return sorted(
        {name for name, folded in zip(header, keys, strict=True) if folded and keys.count(folded) > 1}
    )
