import csv
import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicforum.plain_text import invisible_characters
from civicforum.recruitment.services.addresses import normalise_postcode, read_address_csv
from civicforum.recruitment.services.problems import FileRejected

GOOD = (
    "UPRN,Address line 1,Address line 2,Postcode,Ward,LSOA,Deprivation decile\n"
    "100001,1 High Street,,nm1 2ab,Central,E01000001,2\n"
    "100002,Flat 3,9 Mill Lane,NM2 4DB,Riverside,E01000002,\n"
)


def test_reads_a_good_file_normalising_postcodes_and_headers():
    records = read_address_csv(("\ufeff" + GOOD).encode())
    assert [r.uprn for r in records] == ["100001", "100002"]
    assert records[0].postcode == "NM1 2AB"
    assert records[0].deprivation_decile == 2
    assert records[1].deprivation_decile is None
    assert records[1].address_line_2 == "9 Mill Lane"


def problems_of(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(FileRejected) as caught:
        read_address_csv(data, "addresses.csv")
    return [str(p) for p in caught.value.problems]


def test_missing_and_unknown_columns_are_named():
    problems = problems_of("uprn,address_line_1,postcod,ward\n1,a,NM1 2AB,W\n")
    assert "addresses.csv, row 1, column 'postcode': the required column 'postcode' is missing" in problems[0]
    assert any("column 'postcod': unknown column" in p for p in problems)


def test_every_bad_cell_is_reported_with_row_and_column_and_nothing_is_imported():
    text = GOOD + "abc,2 Low Road,,NOT A CODE,Central,,11\n100001,3 Low Road,,NM1 2AB,Central,,\n"
    problems = problems_of(text)
    assert any(p.startswith("addresses.csv, row 4, column 'uprn'") for p in problems)
    assert any(p.startswith("addresses.csv, row 4, column 'postcode'") for p in problems)
    assert any(p.startswith("addresses.csv, row 4, column 'deprivation_decile'") for p in problems)
    assert any("row 5, column 'uprn': UPRN 100001 appears twice (first on row 2)" in p for p in problems)


def test_a_decile_in_digits_that_are_not_0_to_9_is_a_located_problem():
    """'²' and '٣' pass str.isdigit but int() refuses the first and reads the second as 3."""
    for decile in ("\u00b2", "\u0663"):
        problems = problems_of(GOOD + f"100003,4 Low Road,,NM1 2AB,Central,,{decile}\n")
        assert problems == [
            f"addresses.csv, row 4, column 'deprivation_decile': '{decile}' is not a whole number from 1 "
            "to 10 (or blank)."
        ]


def test_non_utf8_file_names_the_row_of_the_first_bad_byte():
    data = GOOD.encode() + "100003,Caf\u00e9 Row,,NM1 2AB,Central,,\n".encode("latin-1")
    [problem] = problems_of(data)
    assert problem.startswith("addresses.csv, row 4: the file is not UTF-8")


def test_blank_lines_are_skipped_but_ragged_rows_are_not():
    assert len(read_address_csv((GOOD + "\n,,,,,,\n").encode())) == 2
    [problem] = problems_of(GOOD + "100003,x\n")
    assert "row 4" in problem and "stray commas" in problem


def test_wards_differing_only_in_capitals_or_spacing_are_one_ward():
    """'northam central' and 'Northam Central ' were two wards, and letters are shared out per ward."""
    rows = [
        "Northam Central",
        "northam  central",
        "NORTHAM CENTRAL ",
        "Northam Central",
        "eastbrook",
        "Eastbrook",
        "Eastbrook",
        "West End",
        "west end",
    ]
    text = "uprn,address_line_1,postcode,ward\n" + "".join(
        f"{n},{n} High St,NM1 2AB,{ward}\n" for n, ward in enumerate(rows, start=1)
    )
    # The spelling most rows use; on a tie, the one seen first.
    assert [r.ward for r in read_address_csv(text.encode())] == ["Northam Central"] * 4 + [
        "Eastbrook"
    ] * 3 + ["West End"] * 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("m1 1ae", "M1 1AE"),
        ("W1A 0AX", "W1A 0AX"),
        ("DN55 1PT", "DN55 1PT"),
        ("Q1 1AA", None),
        ("SW1A 1A", None),
        ("12345", None),
        ("", None),
    ],
)
def test_postcode_normalisation(raw, expected):
    assert normalise_postcode(raw) == expected


address_rows = st.lists(
    st.tuples(
        st.integers(1, 10**12 - 1),
        st.text(
            st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30
        ).filter(str.strip),
        st.sampled_from(["NM1 2AB", "nm12ab", "SW1A 1AA", "bad", "B33 8TH"]),
        st.sampled_from(["North", "South", ""]),
        st.sampled_from(["", "1", "10", "0", "x"]),
    ),
    min_size=1,
    max_size=15,
)


@settings(max_examples=60, deadline=None)
@given(address_rows)
def test_import_is_all_or_nothing_and_keeps_every_valid_row(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["uprn", "address_line_1", "postcode", "ward", "deprivation_decile"])
    writer.writerows(rows)
    uprns = [str(r[0]) for r in rows]
    valid = (
        len(set(uprns)) == len(uprns)
        and all(normalise_postcode(r[2]) for r in rows)
        and all(r[3] for r in rows)
        and all(r[4] in ("", "1", "10") for r in rows)
        and not any(invisible_characters(r[1]) for r in rows)  # they would print on the letters unseen
    )
    try:
        records = read_address_csv(buffer.getvalue().encode())
    except FileRejected as rejected:
        assert not valid
        assert all(p.row is not None and p.row >= 2 for p in rejected.problems)
    else:
        assert valid
        assert [r.uprn for r in records] == uprns
        assert [r.address_line_1 for r in records] == [r[1].strip() for r in rows]


def test_a_cell_over_the_csv_modules_limit_is_a_located_problem():
    huge = "uprn,address_line_1,postcode,ward\n1,1 High St,NM1 2AB,W\n2," + "x" * 200_000 + ",NM1 2AB,W\n"
    [problem] = problems_of(huge)
    assert problem == (
        "addresses.csv, row 3: this row has a cell over 128 KB long, far longer than any address or answer. "
        "Check that this is the right file."
    )


def test_an_unclosed_quote_is_named_when_it_joins_rows_together():
    """A quote mark never closed makes the csv module read on into the rows below: the officer was told
    the row 'has 2 cells but the header has 7; check for stray commas', with no word of the quote."""
    header = "uprn,address_line_1,postcode,ward\n"
    [problem] = problems_of(header + '1,"1 High St,NM1 2AB,W\n2,2 High St,NM1 2AB,W\n')
    assert problem.startswith("addresses.csv, row 2: has 2 cells but the header has 4, and a cell runs over")
    assert 'a quote mark (") may be missing its closing quote, which joins rows together' in problem
    # Run on past the csv module's limit, the row is still said to hold an unclosed quote.
    rows = "".join(f"{n},{n} High St,NM1 2AB,W\n" for n in range(3, 10_000))
    [problem] = problems_of(header + '1,"1 High St,NM1 2AB,W\n' + rows)
    assert problem.startswith('addresses.csv, row 2: a quote mark (") may be missing its closing quote')


@pytest.mark.parametrize(("separator", "name"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_separated_by_semicolons_or_tabs_says_so_once(separator: str, name: str):
    """Excel in many European languages saves 'CSV' with semicolons: the officer got four 'required
    column ... is missing' and an 'unknown column' naming the whole header, and never why."""
    lines = ["uprn", "address_line_1", "postcode", "ward"], ["1", "1 High St", "NM1 2AB", "W"]
    assert problems_of("".join(separator.join(line) + "\n" for line in lines)) == [
        f"addresses.csv, row 1: the file uses {name} between columns, not commas. In Excel choose "
        "'Save as' > 'CSV UTF-8 (comma delimited)' and upload that file."
    ]
    # A comma inside a header cell splits it in two, yet split on the separator it names every column.
    [problem] = problems_of(
        f"uprn{separator}address_line_1{separator}town, city{separator}postcode{separator}ward\n"
    )
    assert f"uses {name} between columns" in problem


@pytest.mark.parametrize("start", [b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"])
def test_an_excel_workbook_is_recognised_by_its_first_bytes(start: bytes):
    """An .xlsx (a ZIP archive) was said to hold 'a NUL character'; an .xls to be not UTF-8."""
    assert problems_of(start + b"\x00" * 100) == [
        "addresses.csv: this looks like an Excel workbook, not a CSV file. In Excel choose 'Save as' > "
        "'CSV UTF-8 (comma delimited)' and upload that file."
    ]


def test_a_cell_longer_than_its_database_column_is_a_located_problem():
    [problem] = problems_of("uprn,address_line_1,postcode,ward\n1," + "y" * 201 + ",NM1 2AB,W\n")
    assert (
        problem
        == "addresses.csv, row 2, column 'address_line_1': is 201 characters long; it can be at most 200."
    )


def test_an_address_line_too_long_for_the_envelope_window_is_a_located_problem():
    """The letters cut such a line short with "…", and Royal Mail needs the address whole: the importer
    refuses it, saying how much fits, rather than the letters printing it on two lines of the window."""
    line = "Flat 12, Harbour View Court, The Old Customs House and Chandlery Buildings, Quay Street West"
    header = "uprn,address_line_1,address_line_2,address_line_3,town,postcode,ward\n"
    fits = "Flat 12, Harbour View Court, The Old Customs House and Chandlery Buildings"
    assert len(read_address_csv(f'{header}1,"{fits}",,,Northam,NM1 2AB,W\n'.encode())) == 1
    [problem] = problems_of(f'{header}1,1 Quay Street,"{line}",,Northam,NM1 2AB,W\n')
    assert re.fullmatch(
        r"addresses.csv, row 2, column 'address_line_2': is too long for one line of the letters' "
        rf"envelope window \({len(line)} characters, where about 8\d fit\), and the letters must print the "
        r"address whole. Split it over two of the address_line columns, or shorten it.",
        problem,
    )


@pytest.mark.django_db
def test_the_length_limits_are_the_database_columns():
    from civicforum.recruitment.models import Address
    from civicforum.recruitment.services.addresses import MAX_LENGTHS

    assert {name: Address._meta.get_field(name).max_length for name in MAX_LENGTHS} == MAX_LENGTHS


def test_a_nul_byte_is_a_located_problem():
    [problem] = problems_of(b"uprn,address_line_1,postcode,ward\n1,a\x00b,NM1 2AB,W\n")
    assert problem.startswith("addresses.csv, row 2: the file holds a NUL character")


@pytest.mark.parametrize(
    ("cell", "column", "named"),
    [
        ("Nor\u200bth", "ward", "a zero-width space (U+200B), which does not show"),
        ("\u202eNorth", "ward", "a right-to-left override (U+202E), which does not show"),
        ("1 High\x07St", "address_line_1", "a control character (U+0007), which does not show"),
    ],
)
def test_a_cell_holding_characters_that_do_not_show_is_a_located_problem(cell: str, column: str, named: str):
    """Such a ward was imported as a ward of its own that looks like 'North' (letters are shared out per
    ward), and such an address line went onto the letters and into the mailing house's file."""
    rows = {"address_line_1": "1 High St", "ward": "North", column: cell}
    data = f"uprn,address_line_1,postcode,ward\n1,{rows['address_line_1']},NM1 2AB,{rows['ward']}\n"
    [problem] = problems_of(data)
    assert problem.startswith(f"addresses.csv, row 2, column '{column}': holds {named} but would be printed")
    assert problem.endswith("Type the cell again without it and upload the file again.")
