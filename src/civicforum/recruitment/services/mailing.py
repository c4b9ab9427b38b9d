"""The CSV a mailing house needs to print and post the letters (the same order as the PDF)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from civicforum.recruitment.services.letters import Letter

MAX_ADDRESS_LINES = 5
HEADER = ["reference", "code"] + [f"address_line_{n}" for n in range(1, MAX_ADDRESS_LINES + 1)]


def spreadsheet_safe(cell: str) -> str:
    """Stop a spreadsheet from running a cell as a formula (an address starting with '=' or '+')."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def write_mailing_csv(path: Path, letters: Iterable[Letter]) -> int:
    """One row per letter: reference, code and up to five address lines (the postcode last); atomic."""
    partial = path.with_name(path.name + ".part")
    count = 0
    try:
        with partial.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for letter in letters:
                lines = list(letter.address_lines)
                if len(lines) > MAX_ADDRESS_LINES:
                    lines = lines[: MAX_ADDRESS_LINES - 1] + [", ".join(lines[MAX_ADDRESS_LINES - 1 :])]
                padded = lines + [""] * (MAX_ADDRESS_LINES - len(lines))
                writer.writerow([spreadsheet_safe(cell) for cell in (letter.reference, letter.code, *padded)])
                count += 1
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count
