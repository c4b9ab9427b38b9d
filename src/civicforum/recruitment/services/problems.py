"""Located problems in an uploaded file, so an officer knows exactly which cell to fix."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection
from dataclasses import dataclass

from civicforum.core.error_summary import ErrorItem
from civicforum.selection import InputProblem
from civicforum.spreadsheet import WORKBOOK_SIGNATURES, printable

MAX_PROBLEMS_SHOWN = 50


FileProblem = InputProblem
"""One problem; ``row`` is 1-based as a spreadsheet shows it (the header is row 1)."""


class FileRejected(ValueError):
    """The whole file is refused (nothing imported); ``problems`` lists every problem found."""

    def __init__(self, problems: list[FileProblem]):
        self.problems = problems
        shown = [str(p) for p in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more problems.")
        super().__init__("\n".join(shown))


@dataclass(frozen=True)
class ShownProblems:
    """A refused upload as its page shows it: an error summary naming the file, then each problem without
    the file name, linked to the file box (``box``, its id), and the box's own error message."""

    filename: str
    lines: list[str]
    more: int  # problems found beyond those listed
    box: str

    @property
    def title(self) -> str:
        return f"The file ‘{self.filename}’ was not imported"

    @property
    def description(self) -> str:
        shown = len(self.lines)
        listed = f" (the first {shown} of {shown + self.more} are listed)" if self.more else ""
        return f"Nothing from it was saved. Fix these problems{listed} and upload it again:"

    @property
    def errors(self) -> list[ErrorItem]:
        return [ErrorItem(line, self.box) for line in self.lines]

    @property
    def field_error(self) -> str:
        if len(self.lines) == 1 and not self.more:
            return self.lines[0]
        return "The file was not imported: fix the problems listed above and upload it again"


def shown_problems(rejected: FileRejected, box: str) -> ShownProblems:
    """``rejected`` as its page shows it, each problem linked to the file box whose id is ``box``."""
    problems = rejected.problems
    lines = []
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        where = [f"Row {problem.row}"] if problem.row is not None else []
        if problem.column is not None:
            where.append(f"column '{problem.column}'")
        message = problem.message if where else problem.message[:1].upper() + problem.message[1:]
        lines.append(printable(", ".join(where) + ": " + message if where else message))
    filename = printable(problems[0].file) if problems else ""
    return ShownProblems(filename, lines, max(0, len(problems) - MAX_PROBLEMS_SHOWN), box)


SAVE_AS_CSV = "In Excel choose 'Save as' > 'CSV UTF-8 (comma delimited)' and upload that file."


def decode_utf8(data: bytes, filename: str) -> str:
    """Decode an upload as UTF-8 (a byte-order mark is allowed), naming the row of the first bad byte.

    A spreadsheet workbook is recognised by its first bytes and refused as one. A NUL byte is refused
    too: PostgreSQL cannot store it, and no CSV text file holds one.
    """
    if data.startswith(WORKBOOK_SIGNATURES):
        raise FileRejected(
            [FileProblem(filename, f"this looks like an Excel workbook, not a CSV file. {SAVE_AS_CSV}")]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data.count(b"\n", 0, error.start) + 1
        raise FileRejected(
            [
                FileProblem(
                    filename,
                    "the file is not UTF-8 text. In Excel choose 'Save as' > 'CSV UTF-8 (comma delimited)' "
                    "and upload it again.",
                    row=row,
                )
            ]
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise FileRejected(
            [
                FileProblem(
                    filename,
                    "the file holds a NUL character, so it is not a CSV text file. Save it from your "
                    "spreadsheet as 'CSV UTF-8 (comma delimited)' and upload it again.",
                    row=text.count("\n", 0, nul) + 1,
                )
            ]
        )
    return text


def normalise_header(name: str) -> str:
    """'Address line 1 ' -> 'address_line_1', so spreadsheets need not match our spelling exactly."""
    return "_".join(name.strip().lower().replace("-", " ").split())


SEPARATORS = {";": "semicolons", "\t": "tabs"}
FIELD_LIMIT = csv.field_size_limit()


def csv_rows(text: str, filename: str, required: Collection[str] = ()) -> list[list[str]]:
    """Every row of a CSV text, after checking its header row is separated by commas.

    A header of one cell holding a semicolon or a tab, or one that names the ``required`` columns only
    when split on one, is refused saying so (Excel in many European languages saves CSV with semicolons).
    A row the csv module cannot read (a cell over its 128 KB limit) is refused, naming a missing closing
    quote when the cell ran on over several lines.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    starts_on_line = 1
    try:
        for row in reader:
            if not rows:
                _check_separator(row, text, required, filename)
            rows.append(row)
            starts_on_line = reader.line_num + 1
    except csv.Error as error:
        raise FileRejected(
            [_unreadable_row(error, reader.line_num > starts_on_line, len(rows) + 1, filename)]
        ) from None
    return rows


def _check_separator(header: list[str], text: str, required: Collection[str], filename: str) -> None:
    first_line = re.split("[\r\n]", text, maxsplit=1)[0]
    for separator, name in SEPARATORS.items():
        if len(header) == 1 and separator in header[0]:
            wrong = True
        else:
            split = {normalise_header(cell) for cell in next(csv.reader([first_line], delimiter=separator))}
            found = {normalise_header(cell) for cell in header}
            wrong = bool(required) and set(required) <= split and not set(required) <= found
        if wrong:
            raise FileRejected(
                [
                    FileProblem(
                        filename,
                        f"the file uses {name} between columns, not commas. {SAVE_AS_CSV}",
                        row=1,
                    )
                ]
            )


def _unreadable_row(error: csv.Error, over_several_lines: bool, row: int, filename: str) -> FileProblem:
    if over_several_lines:
        message = (
            'a quote mark (") may be missing its closing quote: everything after it was read as one cell, '
            "joining the rows below into this one. Check the quote marks in this row and upload the file "
            "again."
        )
    elif "field limit" in str(error):
        message = (
            f"this row has a cell over {FIELD_LIMIT // 1024} KB long, far longer than any address or answer. "
            "Check that this is the right file."
        )
    else:
        message = f"this row cannot be read ({error}). Check the row and upload the file again."
    return FileProblem(filename, message, row=row)
