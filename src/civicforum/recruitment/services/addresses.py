"""Read the council's address list (CSV) for the civic lottery, all or nothing.

Columns (header names are matched ignoring case, spaces and hyphens): ``uprn``, ``address_line_1``,
``postcode`` and ``ward`` are required; ``address_line_2``, ``address_line_3``, ``town``, ``lsoa`` and
``deprivation_decile`` (1 = most deprived tenth of England, 10 = least) are optional. A file with any
problem imports nothing, and every problem is reported with its row and column. Ward names differing
only in capitals or spacing are one ward (``one_spelling_per_ward``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from civicforum.plain_text import invisible_characters, not_showing
from civicforum.recruitment.services.letters import address_line_characters
from civicforum.recruitment.services.problems import (
    FileProblem,
    FileRejected,
    csv_rows,
    decode_utf8,
    normalise_header,
)

REQUIRED_COLUMNS = ("uprn", "address_line_1", "postcode", "ward")
OPTIONAL_COLUMNS = ("address_line_2", "address_line_3", "town", "lsoa", "deprivation_decile")

# Royal Mail's postcode shapes (outward code, space, inward code); GIR 0AA is Girobank's special case.
_POSTCODE = re.compile(
    r"^(GIR0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY])"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)
_UPRN = re.compile(r"^[0-9]{1,12}$")
# The database columns' sizes (recruitment.models.Address); PostgreSQL refuses a longer cell.
MAX_LENGTHS = {
    "address_line_1": 200,
    "address_line_2": 200,
    "address_line_3": 200,
    "town": 100,
    "ward": 100,
    "lsoa": 20,
}
# The lines printed in the letters' envelope window (with the postcode, always short): each must fit one
# line of it, where Royal Mail reads it.
PRINTED_COLUMNS = ("address_line_1", "address_line_2", "address_line_3", "town")


def hidden_characters_problem(value: str) -> str | None:
    """Why ``value``, a cell of the address list, must be refused for characters that do not show (None:
    it has none): a control character, a right-to-left override or a zero-width space would be printed on
    the letters and sent to the mailing house as it is, and in a ward it makes a ward of its own that
    looks like another (letters are shared out, and the pool counted, per ward)."""
    hidden = invisible_characters(value)
    if not hidden:
        return None
    return (
        f"holds {not_showing(hidden)} but would be printed on the letters, or make the ward a different "
        "ward from the same name typed without it. Type the cell again without it and upload the file again."
    )


def printed_line_problem(value: str) -> str | None:
    """Why ``value``, a line printed in the letters' envelope window (``PRINTED_COLUMNS``), breaks the
    importer's rule (None: it keeps it): the window would print it on two lines. Letters also check the
    addresses stored before the importer had the rule (``civic_lottery.unprintable_addresses``)."""
    fitting = address_line_characters(value)
    if fitting >= len(value):
        return None
    return (
        f"is too long for one line of the letters' envelope window ({len(value)} characters, where about "
        f"{fitting} fit)"
    )


@dataclass(frozen=True)
class AddressRecord:
    uprn: str
    address_line_1: str
    address_line_2: str
    address_line_3: str
    town: str
    postcode: str
    ward: str
    lsoa: str
    deprivation_decile: int | None


def normalise_postcode(raw: str) -> str | None:
    """'sw1a1aa ' -> 'SW1A 1AA'; None when it is not a UK postcode."""
    compact = "".join(raw.split()).upper()
    if not _POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def read_address_csv(data: bytes, filename: str = "address file") -> list[AddressRecord]:
    """Parse and validate an address list; raises ``FileRejected`` listing every problem."""
    rows = csv_rows(decode_utf8(data, filename), filename, REQUIRED_COLUMNS)
    header = rows[0] if rows else None
    if header is None:
        raise FileRejected([FileProblem(filename, "the file is empty; it needs a header row.", row=1)])
    columns = [normalise_header(h) for h in header]
    _check_columns(columns, header, filename)

    problems: list[FileProblem] = []
    records: list[AddressRecord] = []
    first_row_of_uprn: dict[str, int] = {}
    for row_number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            problems.append(
                FileProblem(filename, _ragged_row(len(cells), len(columns), cells), row=row_number)
            )
            continue
        values = {col: cell.strip() for col, cell in zip(columns, cells, strict=True)}
        record = _read_row(values, row_number, filename, problems)
        if record is None:
            continue
        first = first_row_of_uprn.setdefault(record.uprn, row_number)
        if first != row_number:
            problems.append(
                FileProblem(
                    filename,
                    f"UPRN {record.uprn} appears twice (first on row {first}); each address once, please.",
                    row=row_number,
                    column="uprn",
                )
            )
            continue
        records.append(record)
    if problems:
        raise FileRejected(problems)
    if not records:
        raise FileRejected([FileProblem(filename, "the file has a header but no addresses.", row=2)])
    return one_spelling_per_ward(records)


def ward_key(ward: str) -> str:
    """'Northam  Central ' and 'northam central' are one ward: letters are shared out per ward."""
    return " ".join(ward.split()).casefold()


def one_spelling_per_ward(records: list[AddressRecord]) -> list[AddressRecord]:
    """Wards differing only in capitals or spacing take the spelling most of their rows use (on a tie,
    the one seen first), so a few rows typed differently do not make a ward of their own."""
    spellings: dict[str, Counter[str]] = {}
    for record in records:
        spellings.setdefault(ward_key(record.ward), Counter())[" ".join(record.ward.split())] += 1
    # most_common keeps the order first seen among equal counts
    chosen = {key: counts.most_common(1)[0][0] for key, counts in spellings.items()}
    return [replace(record, ward=chosen[ward_key(record.ward)]) for record in records]


def _ragged_row(count: int, expected: int, cells: list[str]) -> str:
    """A short row with a line break in a cell is most likely an opening quote never closed, which made
    the csv module read on into the rows below."""
    if count < expected and any("\n" in cell or "\r" in cell for cell in cells):
        return (
            f"has {count} cells but the header has {expected}, and a cell runs over several lines: a quote "
            'mark (") may be missing its closing quote, which joins rows together. Check the quote marks.'
        )
    return f"has {count} cells but the header has {expected}; check for stray commas."


def _check_columns(columns: list[str], header: list[str], filename: str) -> None:
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    problems = [
        FileProblem(
            filename, f"the required column '{name}' is missing from the header row.", row=1, column=name
        )
        for name in REQUIRED_COLUMNS
        if name not in columns
    ]
    seen: set[str] = set()
    for original, name in zip(header, columns, strict=True):
        if name in seen:
            problems.append(FileProblem(filename, "this column appears twice.", row=1, column=original))
        elif name not in known:
            problems.append(
                FileProblem(
                    filename,
                    "unknown column; expected only " + ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS) + ".",
                    row=1,
                    column=original,
                )
            )
        seen.add(name)
    if problems:
        raise FileRejected(problems)


def _read_row(
    values: dict[str, str], row: int, filename: str, problems: list[FileProblem]
) -> AddressRecord | None:
    before = len(problems)

    def problem(column: str, message: str) -> None:
        problems.append(FileProblem(filename, message, row=row, column=column))

    uprn = values["uprn"]
    if not _UPRN.match(uprn):
        problem("uprn", f"'{uprn}' is not a UPRN (a number of up to 12 digits).")
    for column in ("address_line_1", "ward"):
        if not values[column]:
            problem(column, "is empty; every address needs it.")
    for column, limit in MAX_LENGTHS.items():
        value = values.get(column, "")
        if len(value) > limit:
            problem(column, f"is {len(value)} characters long; it can be at most {limit}.")
        elif hidden := hidden_characters_problem(value):
            problem(column, hidden)
        elif column in PRINTED_COLUMNS and (too_long := printed_line_problem(value)):
            problem(
                column,
                f"{too_long}, and the letters must print the address whole. Split it over two of the "
                "address_line columns, or shorten it.",
            )
    postcode = normalise_postcode(values["postcode"])
    if postcode is None:
        problem("postcode", f"'{values['postcode']}' is not a UK postcode (for example SW1A 1AA).")
    decile: int | None = None
    raw_decile = values.get("deprivation_decile", "")
    if raw_decile:
        if raw_decile.isascii() and raw_decile.isdigit() and 1 <= int(raw_decile) <= 10:
            decile = int(raw_decile)  # isdigit alone takes '²', which int() refuses
        else:
            problem("deprivation_decile", f"'{raw_decile}' is not a whole number from 1 to 10 (or blank).")
    if len(problems) > before:
        return None
    return AddressRecord(
        uprn=str(int(uprn)),
        address_line_1=values["address_line_1"],
        address_line_2=values.get("address_line_2", ""),
        address_line_3=values.get("address_line_3", ""),
        town=values.get("town", ""),
        postcode=postcode or "",
        ward=values["ward"],
        lsoa=values.get("lsoa", ""),
        deprivation_decile=decile,
    )
