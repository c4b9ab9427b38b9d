"""Read selection problems in the Sortition Foundation's CSV convention (and XLSX), write people files.

Councils and their contractors already keep pools and quotas in these files, so existing files must
work unchanged. Every problem is collected (not just the first) and located by file, row and column,
because the person fixing the file is a selection officer with a spreadsheet open, not a programmer.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from civicforum.plain_text import as_shown, invisible_characters, not_showing
from civicforum.selection.types import InputError, InputProblem, Instance, Person, Quota
from civicforum.spreadsheet import (
    LOOSE_ID_DIFFERENCE,
    CsvFileError,
    CsvRowError,
    id_problem,
    loose_id,
    loose_value,
    other_separator,
    printable,
    read_csv_records,
    repeated_columns,
    spreadsheet_safe,
    value_problem,
)

ID_COLUMN_NAMES = ("id", "nationbuilder_id")
FEATURE_COLUMN_ALIASES = {
    "feature": ("feature", "category"),
    "value": ("value", "name"),
    "min": ("min",),
    "max": ("max",),
    "min_flex": ("min_flex",),
    "max_flex": ("max_flex",),
}
REQUIRED_FEATURE_COLUMNS = ("feature", "value", "min", "max")
WHOLE_NUMBER = re.compile(r"[0-9]+(\.0*)?")
MAX_COUNT = 1_000_000
NO_DATA_ROWS = "has a header row but no data rows."
# Columns that say who a person is, for spotting one volunteer registered twice (matched like headers).
FULL_NAME_COLUMNS = ("name", "full name", "full_name", "fullname")
FIRST_NAME_COLUMNS = ("first name", "first_name", "firstname", "given name", "given_name", "forename")
LAST_NAME_COLUMNS = ("last name", "last_name", "lastname", "surname", "family name", "family_name")
EMAIL_COLUMNS = ("email", "e-mail", "email address", "email_address")
# Ids are published (lottery.json and distribution.json list every panel's ids), so they must not say who
# anyone is: a column of names or email addresses is refused as the id column.
PERSONAL_ID_COLUMNS = (*FULL_NAME_COLUMNS, *FIRST_NAME_COLUMNS, *LAST_NAME_COLUMNS, *EMAIL_COLUMNS)
EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
OPAQUE_IDS = (
    "the ids are published (lottery.json and distribution.json list the ids of every panel), so they must "
    "not say who anyone is; put codes that identify nobody (such as 1, 2, 3) in a column named 'id', or "
    "name such a column with --id-column"
)
SHOWN_ROWS = 5  # rows named in a problem found on many rows, before "and N more"
RETYPE_ONE = "delete the cell's text and type it again"
RETYPE_MANY = "delete those cells' text and type it again"
MAX_ROWS = 50_000  # 5x the largest benchmarked pool (10,000 in 13 s); 10^6 ran for minutes


@dataclass
class Table:
    """A header and its data rows; ``row_numbers[i]`` is the spreadsheet row of ``rows[i]``."""

    file: str
    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]
    header_row: int = 1


def normalise_household(parts: Iterable[str]) -> str | None:
    """Household key from address parts: '12 High St.' and ' 12  high st' are the same home.

    Case, spacing and punctuation are ignored; all-blank addresses give None (no household known).
    """
    words = []
    for part in parts:
        cleaned = re.sub(r"[^\w]+", " ", unicodedata.normalize("NFKC", part).casefold())
        words.extend(cleaned.split())
    return " ".join(words) or None


def household_key(row: Sequence[str], address_index: Sequence[int]) -> str | None:
    """The household of a pool row from its address columns, the first naming the home (a house number
    and street): with that blank the household is not known (None), else two people with only a postcode
    (or a town) in common would be one household, and at most one of them could be selected."""
    if not address_index or normalise_household([row[address_index[0]]]) is None:
        return None
    return normalise_household(row[index] for index in address_index)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_cells(path: Path, limit: int, *, data_only: bool) -> tuple[list[tuple[object, ...]], str | None]:
    """The first ``limit`` rows of the first sheet (formulas as text unless ``data_only``), and that
    sheet's title if the workbook has others."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=data_only)
    try:
        sheet = workbook.worksheets[0]
        rows = list(islice(sheet.iter_rows(values_only=True), limit))
        return rows, (sheet.title if len(workbook.worksheets) > 1 else None)
    finally:
        workbook.close()


def _xlsx_rows(path: Path, limit: int) -> tuple[list[list[str]], str | None, list[tuple[int, int]]]:
    """The first sheet's rows as text, its title if there are others, and the (row, column), 0-based, of
    each formula whose result the file does not hold (a program wrote it and no spreadsheet computed it).

    A workbook without formulas is read once; one with formulas a second time, for their saved results.
    """
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    cells, sheet = _xlsx_cells(path, limit, data_only=False)
    formulas = [
        (r, c)
        for r, row in enumerate(cells)
        for c, value in enumerate(row)
        if isinstance(value, ArrayFormula | DataTableFormula) or (isinstance(value, str) and value[:1] == "=")
    ]
    unsaved: list[tuple[int, int]] = []
    if formulas:
        results, _ = _xlsx_cells(path, limit, data_only=True)
        unsaved = [(r, c) for r, c in formulas if results[r][c] is None]
        cells = results
    return [[_cell_text(value) for value in row] for row in cells], sheet, unsaved


def read_table(path: str | Path, problems: list[InputProblem]) -> Table | None:
    """Read a CSV (UTF-8, BOM allowed) or XLSX file, skipping blank lines and trimming stray spaces."""
    path = Path(path)
    file = str(path)
    if path.is_dir():
        problems.append(InputProblem(file, "is a folder; give the path of the CSV or XLSX file in it."))
        return None
    if not path.exists():
        problems.append(InputProblem(file, "file not found; check the path."))
        return None
    if not path.is_file():  # the run's record publishes each input's SHA-256, which a pipe cannot give twice
        problems.append(
            InputProblem(
                file,
                "is not a file but a pipe or a device (such as <(...) in a shell); save the data as a CSV or "
                "XLSX file and give its path.",
            )
        )
        return None
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            raw_rows, sheet, unsaved = _xlsx_rows(path, MAX_ROWS + 2)  # reading 10^6 rows takes minutes
        except Exception as error:  # openpyxl raises many types for damaged files
            problems.append(
                InputProblem(file, f"cannot be read as an Excel workbook ({error}); save it again.")
            )
            return None
        if sheet is not None:  # say which sheet was read, else a table on another sheet is a mystery
            file += f" (its first sheet, '{sheet}'; only the first sheet is read)"
        for index, column in unsaved:  # read as blank, they would be reported as 'blank' cells
            problems.append(
                InputProblem(
                    file,
                    f"cell {_column_letter(column)}{index + 1} holds a formula but not its result, so the "
                    "file was written by a program and never saved by a spreadsheet; open it in Excel or "
                    "LibreOffice and save it, or paste the values in place of the formulas.",
                    row=index + 1,
                )
            )
        if unsaved:
            return None
    else:
        try:
            raw_rows = read_csv_records(path)
        except CsvRowError as error:
            problems.append(InputProblem(file, f"{error}.", row=error.row))
            return None
        except CsvFileError as error:
            problems.append(InputProblem(file, f"{error}."))
            return None
        except OSError as error:
            problems.append(InputProblem(file, f"cannot be read ({error.strerror}); check you may read it."))
            return None
    if len(raw_rows) > MAX_ROWS + 1:
        problems.append(
            InputProblem(
                file,
                f"has more than {MAX_ROWS:,} rows, more than the selection engine takes (a civic lottery of "
                "30,000 letters brings 500 to 2,000 volunteers). Check that this is the right file: the pool "
                "of volunteers who replied, not the list of addresses invited.",
            )
        )
        return None
    numbered = [
        (number, [cell.strip() for cell in row])
        for number, row in enumerate(raw_rows, start=1)
        if any(cell.strip() for cell in row)
    ]
    if not numbered:
        problems.append(InputProblem(file, "is empty; it needs a header row and at least one data row."))
        return None
    (header_number, header), body = numbered[0], numbered[1:]
    while header and not header[-1]:
        header.pop()
    separator = other_separator(header)
    if separator:  # else every column but the first is reported missing, though the officer can see it
        problems.append(
            InputProblem(
                file,
                f"the header is one cell, {header[0]!r}: its columns are separated by {separator}, not "
                "commas; in Excel use 'Save As' > 'CSV UTF-8 (Comma delimited)'.",
                row=header_number,
            )
        )
        return None
    repeated = repeated_columns(header, loose_value)
    if repeated:
        problems.append(
            InputProblem(
                file,
                f"the header names {', '.join(repr(name) for name in repeated)} more than once; rename or "
                "delete the copies so that each column is read once.",
                row=header_number,
            )
        )
        return None
    table = Table(file, header, [], [], header_number)
    for number, row in body:
        if len(row) > len(header) and any(row[len(header) :]):
            problems.append(
                InputProblem(
                    file,
                    f"has {len(row)} cells but the header has only {len(header)}; remove the extra cells "
                    "or give their column a header.",
                    row=number,
                )
            )
        table.rows.append((row + [""] * len(header))[: len(header)])
        table.row_numbers.append(number)
    if not table.rows:
        problems.append(InputProblem(file, NO_DATA_ROWS))
    unnamed = [
        index for index, name in enumerate(header) if not name and any(row[index] for row in table.rows)
    ]
    if unnamed:
        letters = ", ".join(_column_letter(index) for index in unnamed)
        problems.append(
            InputProblem(
                file,
                f"column {letters} holds values but has no name in the header; name it or delete the column.",
                row=header_number,
            )
        )
    return table


def _column_letter(index: int) -> str:
    """The spreadsheet's name for a 0-based column: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _find_column(table: Table, names: Sequence[str]) -> int | None:
    return _find_in_header(table.header, names)


def _find_in_header(header: Sequence[str], names: Sequence[str]) -> int | None:
    wanted = {loose_value(name) for name in names}
    for index, column in enumerate(header):
        if loose_value(column) in wanted:
            return index
    return None


def id_column_name(header: Sequence[str], id_column: str | None = None) -> str | None:
    """The people file's id column: ``id_column``, else ``id``/``nationbuilder_id``, else the first."""
    index = _find_in_header(header, [id_column] if id_column else ID_COLUMN_NAMES)
    if index is None and not id_column and header:
        index = 0
    return None if index is None else header[index]


def _parse_count(text: str, file: str, row: int, column: str, problems: list[InputProblem]) -> int | None:
    """A count in digits 0-9 ('12', or '12.0' as some tools write it), at most MAX_COUNT.

    float() would also take '1e300' (which crashed the solver), '1_0', 'inf' or another script's digits.
    """
    if not WHOLE_NUMBER.fullmatch(text):
        shown = repr(text) if text else "blank"
        problems.append(
            InputProblem(
                file,
                f"{shown} is not a whole number of people (0 or more); write it in digits only, such as 12.",
                row,
                column,
            )
        )
        return None
    number = int(text.split(".")[0])
    if number > MAX_COUNT:
        problems.append(
            InputProblem(
                file, f"{number} is more people than any panel; give at most {MAX_COUNT}.", row, column
            )
        )
        return None
    return number


def read_features(path: str | Path) -> tuple[Quota, ...]:
    """Quotas from a ``feature,value,min,max[,min_flex,max_flex]`` file; InputError lists all problems."""
    problems: list[InputProblem] = []
    quotas = _parse_features(read_table(path, problems), problems)
    if problems:
        raise InputError(problems)
    return quotas


def _parse_features(table: Table | None, problems: list[InputProblem]) -> tuple[Quota, ...]:
    if table is None:
        return ()
    columns = {name: _find_column(table, aliases) for name, aliases in FEATURE_COLUMN_ALIASES.items()}
    missing = [name for name in REQUIRED_FEATURE_COLUMNS if columns[name] is None]
    if missing:
        problems.append(
            InputProblem(
                table.file,
                f"missing column(s) {', '.join(missing)}; the header must be feature,value,min,max "
                f"(optionally min_flex,max_flex). Found: {', '.join(table.header) or 'nothing'}.",
                row=1,
            )
        )
        return ()
    quotas: list[Quota] = []
    seen: dict[tuple[str, str], int] = {}
    spelling: dict[str, str] = {}
    for row, number in zip(table.rows, table.row_numbers, strict=True):
        quota = _parse_quota_row(table, row, number, columns, problems)
        if quota is None:
            continue
        feature = spelling.setdefault(loose_value(quota.feature), quota.feature)
        key = (loose_value(quota.feature), loose_value(quota.value))
        if key in seen:
            problems.append(
                InputProblem(
                    table.file,
                    f"{feature} = {quota.value} is listed twice (first on row {seen[key]}); keep one row.",
                    number,
                    table.header[columns["value"] or 0],
                )
            )
            continue
        seen[key] = number
        quotas.append(Quota(feature, quota.value, quota.min, quota.max, quota.min_flex, quota.max_flex))
    return tuple(quotas)


def _parse_quota_row(
    table: Table, row: list[str], number: int, columns: dict[str, int | None], problems: list[InputProblem]
) -> Quota | None:
    def cell(name: str) -> str:
        index = columns[name]
        return "" if index is None else row[index]

    def count(name: str, optional: bool = False) -> int | None:
        index = columns[name]
        if index is None or (optional and not row[index]):
            return None
        return _parse_count(row[index], table.file, number, table.header[index], problems)

    before = len(problems)
    for name in ("feature", "value"):
        column = table.header[columns[name] or 0]
        hidden = value_problem(cell(name))
        if not cell(name):
            problems.append(InputProblem(table.file, f"the {name} is blank; fill it in.", number, column))
        elif hidden:
            problems.append(InputProblem(table.file, f"{hidden}; {RETYPE_ONE}.", number, column))
    low, high = count("min"), count("max")
    low_flex, high_flex = count("min_flex", optional=True), count("max_flex", optional=True)
    if len(problems) > before or low is None or high is None:
        return None
    where = f"{cell('feature')} = {cell('value')}"
    max_column = table.header[columns["max"] or 0]
    if low > high:
        problems.append(
            InputProblem(
                table.file,
                f"{where}: min {low} is more than max {high}; swap or correct them.",
                number,
                max_column,
            )
        )
        return None
    if low_flex is not None and low_flex > low:
        problems.append(
            InputProblem(
                table.file, f"{where}: min_flex {low_flex} must not exceed min {low}.", number, "min_flex"
            )
        )
    if high_flex is not None and high_flex < high:
        problems.append(
            InputProblem(
                table.file, f"{where}: max_flex {high_flex} must not be below max {high}.", number, "max_flex"
            )
        )
    return Quota(cell("feature"), cell("value"), low, high, low_flex, high_flex)


def read_people(
    path: str | Path,
    quotas: Sequence[Quota],
    *,
    id_column: str | None = None,
    address_columns: Sequence[str] = (),
) -> tuple[Person, ...]:
    """The pool: one Person per row, values matched to the features file's spelling; raises InputError."""
    problems: list[InputProblem] = []
    people = _parse_people(read_table(path, problems), quotas, id_column, address_columns, problems)
    if problems:
        raise InputError(problems)
    return people


def _parse_people(
    table: Table | None,
    quotas: Sequence[Quota],
    id_column: str | None,
    address_columns: Sequence[str],
    problems: list[InputProblem],
    *,
    check_values: bool = True,
    notes: list[InputProblem] | None = None,
) -> tuple[Person, ...]:
    """The people in ``table``; ``check_values`` False when the features file had problems: a refused
    quota row would otherwise make every person holding its value a false problem of their own. Rows
    read but worth a look (an address without its home) are added to ``notes``."""
    if table is None:
        return ()
    id_header = id_column_name(table.header, id_column)
    if id_header is None:
        problems.append(
            InputProblem(table.file, f"no id column named '{id_column}'; check --id-column.", row=1)
        )
        return ()
    if _refused_id(id_header, table.file, 1, id_header, problems):
        return ()
    id_index = table.header.index(id_header)
    personal_header = loose_value(id_header) in {loose_value(name) for name in PERSONAL_ID_COLUMNS}
    if personal_header:
        problems.append(
            InputProblem(
                table.file,
                f"the ids are read from the column '{id_header}', which holds names or email addresses; "
                f"{OPAQUE_IDS}.",
                1,
                id_header,
            )
        )
    values: dict[str, dict[str, str]] = {}
    for quota in quotas:
        values.setdefault(quota.feature, {})[loose_value(quota.value)] = quota.value
    feature_index: dict[str, int] = {}
    for feature in values:
        index = _find_column(table, [feature])
        if index is None:
            problems.append(InputProblem(table.file, _no_feature_column(table.header, feature), row=1))
        else:
            feature_index[feature] = index
    address_index = []
    for name in address_columns:
        index = _find_column(table, [name])
        if index is None:
            problems.append(
                InputProblem(table.file, f"no address column '{name}'; check --address-columns.", row=1)
            )
        else:
            address_index.append(index)
    if len(feature_index) < len(values) or len(address_index) < len(address_columns):
        return ()
    people = []
    first_row: dict[str, tuple[str, int]] = {}  # loose_id -> the id and its row
    unknown: dict[tuple[str, str], list[int]] = {}  # (feature, value) not in the features file -> rows
    hidden: dict[tuple[str, str], list[int]] = {}  # (column, value) with characters that do not show -> rows
    email_rows: list[int] = []  # rows whose id is an email address
    homeless: list[int] = []  # rows with part of an address but not its first column (their home)
    for row, number in zip(table.rows, table.row_numbers, strict=True):
        person_id = row[id_index]
        if not person_id:
            problems.append(
                InputProblem(table.file, "the id is blank; give every person an id.", number, id_header)
            )
            continue
        if _refused_id(person_id, table.file, number, id_header, problems):
            continue
        if len(person_id.splitlines()) > 1:  # written to selected.csv, it would not read back as one id
            problems.append(
                InputProblem(
                    table.file,
                    f"the id {person_id!r} holds a line break; remove it, so the id is on one line.",
                    number,
                    id_header,
                )
            )
            continue
        first_id, first = first_row.get(loose_id(person_id), ("", 0))
        if first_id:  # ids that read alike would be mixed up in --already-selected and by officers
            same = (
                f"is used twice (first on row {first}); make ids unique."
                if first_id == person_id
                else f"and id '{first_id}' (row {first}) read as the same id: {LOOSE_ID_DIFFERENCE}; "
                "give one of them another id."
            )
            problems.append(InputProblem(table.file, f"id '{person_id}' {same}", number, id_header))
            continue
        first_row[loose_id(person_id)] = (person_id, number)
        if EMAIL_ADDRESS.fullmatch(person_id):
            email_rows.append(number)
        features = {}
        for feature, index in feature_index.items():
            canonical = values[feature].get(loose_value(row[index]))
            if value_problem(row[index]):  # else 'not a value', of a value that reads as one
                hidden.setdefault((table.header[index], row[index]), []).append(number)
            elif canonical is None and check_values:
                unknown.setdefault((feature, row[index]), []).append(number)
            elif canonical is not None:
                features[feature] = canonical
        household = household_key(row, address_index)
        if household is None and normalise_household(row[index] for index in address_index):
            homeless.append(number)
        people.append(Person(person_id, features, household, dict(zip(table.header, row, strict=True))))
    for (column, value), numbers in hidden.items():
        problem = (
            f"{value_problem(value)}{_on_rows(numbers)}; {RETYPE_ONE if len(numbers) == 1 else RETYPE_MANY}."
        )
        problems.append(InputProblem(table.file, problem, numbers[0] if len(numbers) == 1 else None, column))
    for (feature, value), numbers in unknown.items():
        problems.append(_unknown_value(table, feature, value, numbers, values[feature].values()))
    if email_rows and not personal_header:
        many = len(email_rows) > 1
        problems.append(
            InputProblem(
                table.file,
                f"{'these ids are email addresses' if many else 'the id is an email address'}"
                f"{_on_rows(email_rows)}; {OPAQUE_IDS}.",
                None if many else email_rows[0],
                id_header,
            )
        )
    if address_index and people and all(person.household is None for person in people):
        problems.append(
            InputProblem(
                table.file,
                f"the address column(s) {', '.join(table.header[i] for i in address_index)} are blank on "
                "every row, so the one-per-household rule would not apply to anyone; fill them in or leave "
                "out --address-columns.",
            )
        )
    elif homeless and notes is not None:
        notes.append(
            InputProblem(
                table.file,
                f"the first address column, which names the home, is blank{_on_rows(homeless)}, so their "
                "households are not known and the one-per-household rule does not apply to them; fill it in "
                "(the house number and street), or list that column first in --address-columns.",
                homeless[0] if len(homeless) == 1 else None,
                table.header[address_index[0]],
            )
        )
    return tuple(people)


def _no_feature_column(header: Sequence[str], feature: str) -> str:
    """Why no column of ``header`` is ``feature``'s, naming the header that reads as it but holds a
    character that does not show (``loose_id`` ignores those), which the officer cannot see."""
    words = f"no column for the feature '{feature}' used in the features file"
    for name in header:
        hidden = invisible_characters(name)
        if hidden and loose_id(name) == loose_id(feature):
            return (
                f"{words}: the header {printable(repr(name))} holds {not_showing(hidden)}; delete the "
                "header's text and type it again."
            )
    return f"{words}; add the column or rename the header to match."


def _unknown_value(
    table: Table, feature: str, value: str, numbers: Sequence[int], allowed: Iterable[str]
) -> InputProblem:
    """One problem for every row holding ``value`` of ``feature``, which the features file does not
    list: the value, how many rows and the first few of them (a wrong spelling is often on every row)."""
    column = table.header[_find_column(table, [feature]) or 0]
    shown = f"'{value}'" if value else "blank"
    words = f"{shown} is not a value of '{feature}' in the features file (allowed: {', '.join(allowed)})"
    if len(numbers) == 1:
        return InputProblem(table.file, f"{words}; correct it or add a quota row for it.", numbers[0], column)
    return InputProblem(
        table.file,
        f"{words}{_on_rows(numbers)}; correct those rows, or add a quota row for it if it is a value the "
        "panel should have.",
        column=column,
    )


def _on_rows(numbers: Sequence[int]) -> str:
    """', on 7 rows (rows 2, 3, 5, 8, 9 and 2 more)' for a problem found on several rows; '' for one (its
    row is the problem's own)."""
    if len(numbers) == 1:
        return ""
    first = ", ".join(map(str, numbers[:SHOWN_ROWS]))
    more = f" and {len(numbers) - SHOWN_ROWS} more" if len(numbers) > SHOWN_ROWS else ""
    return f", on {len(numbers)} rows (rows {first}{more})"


def _refused_id(text: str, file: str, row: int, column: str, problems: list[InputProblem]) -> bool:
    """Refuse an id (or id column name) a spreadsheet would run as a formula, or that holds characters
    that do not show: ids are written to the output files unchanged, because ``selection verify`` reads
    them back from selected.csv."""
    problem = id_problem(text)
    if problem is not None:
        problems.append(InputProblem(file, problem + ".", row, column))
    return problem is not None


def read_ids(path: str | Path, *, id_column: str | None = None) -> list[str]:
    """Ids from a one-column file (or the id column of a people file), e.g. already-selected members."""
    return list(_read_id_rows(path, id_column)[0])


def _read_id_rows(path: str | Path, id_column: str | None) -> tuple[dict[str, int], int | None]:
    """Each id read by ``read_ids`` with its spreadsheet row, and the row of the file's first line when
    it had no id column, so that line was read as an id too (None when it was a header); raises
    InputError. The id column is ``id_column`` (the people file's), else 'id' or 'nationbuilder_id'."""
    problems: list[InputProblem] = []
    table = read_table(path, problems)
    first_row: dict[str, int] = {}
    bare = None
    if table is not None:
        index = _find_column(table, [id_column] if id_column else ID_COLUMN_NAMES)
        if index is None and id_column:  # a list headed 'id' for a pool whose ids are in 'ref'
            index = _find_column(table, ID_COLUMN_NAMES)
        rows = list(zip(table.rows, table.row_numbers, strict=True))
        column = None if index is None else table.header[index]
        if index is None:  # a bare list of ids with no header: the first row is an id too
            index, bare = 0, table.header_row
            rows.insert(0, (table.header[:1], table.header_row))
            problems = [problem for problem in problems if problem.message != NO_DATA_ROWS]
        for row, number in rows:
            person_id = row[index] if index < len(row) else ""
            if person_id in first_row:
                first = first_row[person_id]
                problems.append(
                    InputProblem(
                        table.file,
                        f"id '{person_id}' is listed twice (first on row {first}); keep one row.",
                        number,
                        column,
                    )
                )
            elif person_id:
                first_row[person_id] = number
    if problems:
        raise InputError(problems)
    return first_row, bare


def probable_duplicates(table: Table, people: Sequence[Person]) -> list[InputProblem]:
    """Rows of ``table`` (read as ``people``, one per row) that look like one volunteer registered more
    than once: the same name and address (with address columns), or the same email address. Only a
    warning, since two people can share both, but a volunteer listed twice has twice the chance."""

    def column(names: Sequence[str]) -> str | None:
        index = _find_in_header(table.header, names)
        return None if index is None else table.header[index]

    # The columns are found once: the header is the same for every row.
    full, first, last, email_column = (
        column(names) for names in (FULL_NAME_COLUMNS, FIRST_NAME_COLUMNS, LAST_NAME_COLUMNS, EMAIL_COLUMNS)
    )

    def cell(person: Person, name: str | None) -> str:
        return "" if name is None else loose_value(person.row.get(name, ""))

    same: dict[tuple[str, ...], list[tuple[int, str]]] = {}
    for person, number in zip(people, table.row_numbers, strict=True):
        name = cell(person, full) or " ".join(
            part for part in (cell(person, first), cell(person, last)) if part
        )
        if name and person.household is not None:
            same.setdefault(("name and address", name, person.household), []).append((number, person.id))
        email = cell(person, email_column)
        if email:
            same.setdefault(("email address", email), []).append((number, person.id))
    notes = []
    for key, rows in same.items():
        if len(rows) > 1:
            numbers = ", ".join(str(number) for number, _ in rows[:-1]) + f" and {rows[-1][0]}"
            ids = ", ".join(f"'{person_id}'" for _, person_id in rows[:-1]) + f" and '{rows[-1][1]}'"
            notes.append(
                InputProblem(
                    table.file,
                    f"rows {numbers} (ids {ids}) have the same {key[0]}: if they are one volunteer "
                    "registered more than once, delete all but one of the rows, since each extra row adds to "
                    "their chance of selection.",
                )
            )
    return notes


def load_instance(
    people_path: str | Path,
    features_path: str | Path,
    panel_size: int,
    *,
    id_column: str | None = None,
    address_columns: Sequence[str] = (),
    already_selected_path: str | Path | None = None,
    warnings: list[InputProblem] | None = None,
) -> Instance:
    """Read and check every input file, reporting all problems of all files together; rows that look
    like one volunteer registered twice are added to ``warnings`` (``probable_duplicates``)."""
    problems: list[InputProblem] = []
    quotas = _parse_features(read_table(features_path, problems), problems)
    features_read = not problems
    people_table = read_table(people_path, problems)
    notes: list[InputProblem] = []
    people = _parse_people(
        people_table, quotas, id_column, address_columns, problems, check_values=features_read, notes=notes
    )
    already: dict[str, int] = {}
    if already_selected_path is not None:
        if people_table is not None:
            id_column = id_column_name(people_table.header, id_column) or id_column
        bare = None
        try:
            already, bare = _read_id_rows(already_selected_path, id_column)
        except InputError as error:
            problems.extend(error.problems)
        known = {loose_id(person.id): person.id for person in people}
        for person_id, row in already.items():
            near = known.get(loose_id(person_id))
            if near:
                advice = f"'{near}' is, and {LOOSE_ID_DIFFERENCE}: copy the id from the people file."
            elif row == bare:  # no column was named like the pool's ids, so the header was read as an id
                advice = (
                    f"if this row is the header, name the column of ids '{id_column or 'id'}' as in the "
                    "people file; else remove it or add them."
                )
            else:
                advice = "remove it or add them."
            if people and near != person_id:
                problems.append(
                    InputProblem(
                        str(already_selected_path),
                        f"id '{person_id}' is not in the people file {people_path}; {advice}",
                        row,
                    )
                )
    if panel_size < 1:
        problems.append(InputProblem("--panel", f"the panel size must be at least 1, not {panel_size}."))
    elif people and panel_size > len(people):
        problems.append(
            InputProblem(
                "--panel", f"the panel size {panel_size} is larger than the pool ({len(people)} people)."
            )
        )
    if problems:
        raise InputError(problems)
    if warnings is not None and people_table is not None:  # no problems: one person per row
        warnings.extend(notes + probable_duplicates(people_table, people))
    return Instance(people, quotas, panel_size, frozenset(already))


def people_csv(header: Sequence[str], people: Iterable[Person]) -> str:
    """People rows with their original columns, as CSV text (written with a BOM so Excel reads UTF-8).

    Residents' text (an address, a name) that a spreadsheet would run as a formula gets a leading
    apostrophe, and loses characters that would show it in another order (``plain_text.as_shown``); ids
    never need either (``_refused_id`` refused them on reading), so they read back unchanged.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(as_shown(column)) for column in header])
    for person in people:
        writer.writerow([spreadsheet_safe(as_shown(person.row.get(column, ""))) for column in header])
    return buffer.getvalue()
