"""Instance builders shared by the selection algorithm tests (and a tiny CSV loader for the data sets)."""

from __future__ import annotations

import csv
from pathlib import Path

from civicforum.selection import Instance, Person, Quota

DATA = Path("/work/shared/data/sortition")


def load_folder(folder: Path, panel_size: int, address_columns: tuple[str, ...] = ()) -> Instance:
    """Read a Sortition Foundation style folder (features.csv + people.csv), id in the first column."""
    with open(folder / "features.csv", newline="", encoding="utf-8-sig") as handle:
        quotas = tuple(
            Quota(row["feature"], row["value"], int(row["min"]), int(row["max"]))
            for row in csv.DictReader(handle)
        )
    names = list(dict.fromkeys(q.feature for q in quotas))
    with open(folder / "people.csv", newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        id_column = (reader.fieldnames or ["id"])[0]
        people = []
        for row in reader:
            address = " ".join(row[c].strip().lower() for c in address_columns)
            people.append(
                Person(
                    id=row[id_column],
                    features={f: row[f] for f in names},
                    household=address if address_columns else None,
                )
            )
    return Instance(people=tuple(people), quotas=quotas, panel_size=panel_size)


def make_instance(
    rows: list[tuple[str, ...]],
    quotas: dict[tuple[str, str], tuple[int, int]],
    panel_size: int,
    households: dict[int, str] | None = None,
    already_selected: frozenset[str] = frozenset(),
) -> Instance:
    """Instance from compact rows: person ``i`` gets id ``p{i}`` and one value per feature ``f0, f1, ...``."""
    homes = households or {}
    people = tuple(
        Person(id=f"p{i}", features={f"f{j}": v for j, v in enumerate(row)}, household=homes.get(i))
        for i, row in enumerate(rows)
    )
    return Instance(
        people=people,
        quotas=tuple(Quota(f, v, lo, hi) for (f, v), (lo, hi) in quotas.items()),
        panel_size=panel_size,
        already_selected=already_selected,
    )
