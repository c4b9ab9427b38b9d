"""Instance builders shared by the selection algorithm tests."""

from __future__ import annotations

from civicforum.selection import Instance, Person, Quota


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
