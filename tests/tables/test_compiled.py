"""The compiled loops compute the same floats as the numpy expressions they replaced, bit for bit:
plans depend on every comparison of these sums, so a seed gives the same plan whichever ran."""

import json
import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba.core.registry import CPUDispatcher

from civicforum.tables import (
    AllocationSettings,
    Cluster,
    Constraints,
    Facilitator,
    FixedSeat,
    Member,
    allocate,
    compiled,
)
from civicforum.tables.compiled import _column_sum, _pairwise_sum, update_gains
from civicforum.tables.warm_up import warm_up

# Costs and penalties span magnitudes, so that a different order of additions would round differently.
magnitudes = st.floats(0, 1e3, allow_nan=False, allow_infinity=False) | st.floats(0, 1e-6)


@settings(max_examples=200, deadline=None)
@given(st.lists(magnitudes, max_size=700))
def test_pairwise_sum_is_numpys_sum(values):
    """numpy sums in blocks of eight running sums, halving beyond 128 numbers; so does the copy."""
    array = np.array(values, dtype=float)
    assert (0.0 + _pairwise_sum(array)).hex() == float(array.sum()).hex()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 12))
def test_column_sum_is_numpys_sum_of_gathered_columns(seed, width):
    rng = np.random.default_rng(seed)
    matrix = rng.random((15, 15)) * 10.0 ** rng.integers(-6, 3, size=(15, 15))
    columns = rng.choice(15, size=width, replace=False)
    expected = matrix[:, columns].sum(axis=1)
    assert [_column_sum(matrix, row, columns) for row in range(15)] == expected.tolist()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 200))
def test_gains_and_table_costs_are_numpys(seed, columns):
    """The leave/join gains and diversity costs of tables, as numpy computed them over whole rows."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 30, size=6).astype(float)
    counts = np.floor(rng.random((6, columns)) * sizes[:, None])
    shares = rng.dirichlet(np.ones(columns))
    tables = rng.choice(6, size=int(rng.integers(1, 7)), replace=False)
    leave, join = np.zeros((6, columns)), np.zeros((6, columns))
    costs = update_gains(tables, counts, sizes, shares, leave, join)

    seat = 1 / sizes[tables][:, None]
    deviation = counts[tables] * seat - shares
    now = np.abs(deviation)
    assert costs.tolist() == now.sum(axis=1).tolist()
    assert leave[tables].tolist() == (np.abs(deviation - seat) - now).tolist()
    assert join[tables].tolist() == (np.abs(deviation + seat) - now).tolist()


def test_the_warm_up_compiles_every_loop_a_plan_calls_for_the_types_it_calls_it_with():
    """``make install`` runs the warm-up so that the first plan does not compile for seconds: a plan with
    every kind of rule, unequal tables, a wider feature and a session already run, after it, compiles
    nothing more. A loop a plan calls with other types (another array layout, another integer width)
    would compile again on first use, and fail this. In a new process, where nothing is compiled yet."""
    script = f"import runpy; runpy.run_path({__file__!r}, run_name='warm_up_check')"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    compiled_after_warm_up, compiled_by_the_plan = json.loads(result.stdout.splitlines()[-1])
    assert any(compiled_after_warm_up.values())
    assert compiled_by_the_plan == compiled_after_warm_up


def compiled_loops() -> dict[str, list[str]]:
    """Each compiled loop's signatures compiled (or loaded from the cache) in this process."""
    return {
        name: sorted(map(str, loop.signatures))
        for name, loop in vars(compiled).items()
        if isinstance(loop, CPUDispatcher)
    }


def warm_up_then_plan() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    warm_up()
    after_warm_up = compiled_loops()
    members = [
        Member(f"p{n}", {"gender": "FMX"[n % 3], "ward": f"w{n % 15}", "tenure": "or"[n % 2]})
        for n in range(53)
    ]
    past = (tuple(tuple(f"p{n}" for n in range(t, 53, 6)) for t in range(6)),)
    constraints = Constraints(
        keep_together=(frozenset({"p1", "p2"}),),
        keep_apart=(frozenset({"p3", "p4"}),),
        fixed=(FixedSeat("p5", 3, 1),),
        absent={3: frozenset({"p6", "p7"})},
        facilitators=tuple(Facilitator(f"f{n}", frozenset({"p8"} if n == 0 else ())) for n in range(6)),
        clusters=(Cluster(frozenset({"p9", "p10", "p11"}), 2),),
    )
    settings = AllocationSettings(
        tables=6, sessions=4, diversify=("gender", "ward", "tenure"), past=past, effort=0.05
    )
    allocate(members, settings, constraints)
    return after_warm_up, compiled_loops()


if __name__ == "warm_up_check":
    print(json.dumps(warm_up_then_plan()))
