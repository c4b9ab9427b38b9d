"""Compile the searches' loops before the first plan: ``python -m civicforum.tables.warm_up``, which
``make install`` runs.

numba compiles the loops of ``compiled.py`` the first time a process calls them, about 7 s on a 2-core
machine, and keeps the machine code in its cache (beside the source, or the user's cache directory)
for every later process. Without this step the first plan after installing pays those seconds: a
200-member plan that takes 2 s would take 9.
"""

from __future__ import annotations

import time

from civicforum.tables.engine import allocate
from civicforum.tables.model import AllocationSettings, Constraints, Member
from civicforum.tables.search import PAIR_CACHE_VALUES

# Enough members per table for two-for-two exchanges, and a feature with more values than the search
# caches exchange costs for, so every loop is called, with the types a real plan calls it with.
WARD_COUNT = PAIR_CACHE_VALUES + 4


def warm_up() -> None:
    """Seat a small made-up panel, so that every loop a plan calls is compiled, or loaded from the cache,
    for the types a plan calls it with."""
    members = [
        Member(
            f"m{n}",
            {"gender": "FM"[n % 2], "age": "abc"[n % 3], "ward": f"w{n % WARD_COUNT}"},
        )
        for n in range(36)
    ]
    settings = AllocationSettings(
        tables=4, sessions=3, diversify=("gender", "age", "ward"), effort=0.02, hard_panel_effort=None
    )
    allocate(members, settings, Constraints(keep_together=(frozenset({"m0", "m1"}),)))  # group moves


def main() -> None:
    started = time.perf_counter()
    warm_up()
    print(f"civicforum.tables: the searches' loops are compiled ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
