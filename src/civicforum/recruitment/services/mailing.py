"""The CSV a mailing house needs to print and post the letters (the same order as the PDF)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from civicforum.recruitment.services.letters import Letter, partial_path
from civicforum.spreadsheet import spreadsheet_safe

MAX_ADDRESS_LINES = 5
HEADER = ["reference", "code"] + [f"address_line_{n}" for n in range(1, MAX_ADDRESS_LINES + 1)]


class MailingWriter(Protocol):
    def __call__(self, letter: Letter) -> Letter: ...


@contextmanager
def mailing_csv(path: Path) -> Iterator[MailingWriter]:
    """Yield a function that appends one letter's row (and returns the letter, to use inside a pipeline).

    One row per letter: reference, code and up to five address lines (extra lines are joined into
    the last). The file appears at ``path`` only if the block completes.
    """
    partial = partial_path(path)
    try:
        with partial.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)

            def add(letter: Letter) -> Letter:
                lines = list(letter.address_lines)
                if len(lines) > MAX_ADDRESS_LINES:
                    lines = lines[: MAX_ADDRESS_LINES - 1] + [", ".join(lines[MAX_ADDRESS_LINES - 1 :])]
                padded = lines + [""] * (MAX_ADDRESS_LINES - len(lines))
                writer.writerow([spreadsheet_safe(cell) for cell in (letter.reference, letter.code, *padded)])
                return letter

            yield add
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_mailing_csv(path: Path, letters: Iterable[Letter]) -> int:
    count = 0
    with mailing_csv(path) as add:
        for letter in letters:
            add(letter)
            count += 1
    return count
