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


def odd_cycle_instance(members: int, seats_per_value: int) -> Instance:
    """Three features in a cycle: where the relaxed panel polytope has fractional vertices.

    Types (y, y, n), (n, y, y), (y, n, y) and (n, n, n), ``members`` each; each feature's "y" holds at most
    ``seats_per_value`` seats, an odd number, of ``2 * seats_per_value``. Any panel seats at most
    ``(3 s - 1) / 2`` of the first three types, so the relaxation's equal share for everyone is out of reach.
    """
    rows = [("y", "y", "n"), ("n", "y", "y"), ("y", "n", "y"), ("n", "n", "n")] * members
    panel_size = 2 * seats_per_value
    quotas = {(f"f{j}", v): (0, seats_per_value if v == "y" else panel_size) for j in range(3) for v in "yn"}
    return make_instance(rows, quotas, panel_size)
