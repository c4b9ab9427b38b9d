"""Types for the engines' command-line options, whose refusals say what to type instead.

argparse's own ``type=int`` answers '1,200' (as people write it) or '12.0' (as a spreadsheet shows it)
with "invalid int value", which names no fix. Plain Python, shared by the engines' command lines.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from civicforum.spreadsheet import printable

WHOLE_NUMBER = re.compile(r"\s*[-+]?[0-9]{1,100}\s*")  # int() also takes '1_000' and other scripts' digits


def whole_number(text: str) -> int:
    """An option's whole number, such as ``--tables 8``; the range is each command's to check."""
    if WHOLE_NUMBER.fullmatch(text):
        return int(text)
    digits = re.sub(r",|\.0*$", "", text.strip())  # '1,200' -> 1200, '12.0' -> 12
    example = digits if WHOLE_NUMBER.fullmatch(digits) else "12"
    raise argparse.ArgumentTypeError(
        f"{printable(repr(text))} is not a whole number; write it in digits only, such as {example}"
    )


def output_directory(text: str) -> Path:
    """The ``--out`` option's value as a path: refused when empty, as ``--out "$OUT"`` with the variable
    unset gives, which would fill the current directory."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "is empty, which would put the results in the current directory (is a shell variable unset?); "
            "give the directory for the results"
        )
    return Path(text)
