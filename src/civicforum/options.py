"""Types for the engines' command-line options, whose refusals say what to type instead.

argparse's own ``type=int`` answers '1,200' (as people write it) or '12.0' (as a spreadsheet shows it)
with "invalid int value", and ``type=float`` answers '2,5' with "invalid float value", which name no
fix. Plain Python, shared by the engines' command lines.
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


DECIMAL_COMMA = re.compile(r"\s*[-+]?[0-9]+,[0-9]+\s*")  # '2,5' as much of Europe writes 2.5


def decimal_number(text: str) -> float:
    """An option's number, whole or with decimals, such as ``--time-limit 2.5``; the range is each
    command's to check, which also refuses by name the 'nan' and 'inf' that ``float`` takes."""
    try:
        return float(text)
    except ValueError:
        pass
    example = text.strip().replace(",", ".") if DECIMAL_COMMA.fullmatch(text) else "2.5"
    raise argparse.ArgumentTypeError(
        f"{printable(repr(text))} is not a number; write it in digits, with a point before any decimals, "
        f"such as {example}"
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
