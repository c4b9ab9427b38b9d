"""The compiled loops compute the same floats as the numpy expressions they replaced, bit for bit:
plans depend on every comparison of these sums, so a seed gives the same plan whichever ran."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from civicforum.tables.compiled import _column_sum, _pairwise_sum, update_gains

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
