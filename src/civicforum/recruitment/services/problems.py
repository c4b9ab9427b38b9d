"""Located problems in an uploaded file, so an officer knows exactly which cell to fix."""

from __future__ import annotations

import csv
import io

from civicforum.selection import InputProblem

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


def decode_utf8(data: bytes, filename: str) -> str:
    """Decode an upload as UTF-8 (a byte-order mark is allowed), naming the row of the first bad byte.

    A NUL byte is refused too: PostgreSQL cannot store it, and no CSV text file holds one.
    """
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


def csv_rows(text: str, filename: str) -> list[list[str]]:
    """Every row of a CSV text; a row the csv module cannot read (a cell over its 128 KB limit) is refused."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return list(reader)
    except csv.Error as error:
        raise FileRejected(
            [
                FileProblem(
                    filename,
                    f"this row cannot be read ({error}); a cell may be far too long. Check the row and "
                    "upload the file again.",
                    row=reader.line_num,
                )
            ]
        ) from None
