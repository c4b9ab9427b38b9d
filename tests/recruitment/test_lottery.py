from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicforum.recruitment.services.lottery import (
    LotteryAddress,
    LotteryError,
    allocate_by_weight,
    draw_addresses,
)


def make_addresses(per_ward: dict[str, int], decile_of=lambda i: None) -> list[LotteryAddress]:
    out = []
    uprn = 1
    for ward, count in per_ward.items():
        for i in range(count):
            out.append(LotteryAddress(str(uprn), ward, decile_of(i)))
            uprn += 1
    return out


def test_same_seed_same_addresses_whatever_the_input_order():
    addresses = make_addresses({"A": 300, "B": 200, "C": 100})
    first = draw_addresses(addresses, 60, "seed-1")
    again = draw_addresses(list(reversed(addresses)), 60, "seed-1")
    other = draw_addresses(addresses, 60, "seed-2")
    assert first.uprns == again.uprns
    assert first.uprns != other.uprns


def test_wards_get_letters_in_proportion_to_their_size():
    draw = draw_addresses(make_addresses({"A": 300, "B": 200, "C": 100}), 60, "s")
    assert dict(draw.letters_per_ward) == {"A": 30, "B": 20, "C": 10}
    assert len(set(draw.uprns)) == 60


def test_over_sampling_sends_more_letters_to_deprived_addresses():
    # half of each ward is in decile 1; weight 3 should give them about 3/4 of the letters
    addresses = make_addresses({"A": 2000}, decile_of=lambda i: 1 if i % 2 else 5)
    decile = {a.uprn: a.deprivation_decile for a in addresses}
    drawn = draw_addresses(addresses, 400, "s", {1: 3.0}).uprns
    deprived = Counter(decile[u] for u in drawn)[1]
    assert 260 <= deprived <= 340
    unweighted = Counter(decile[u] for u in draw_addresses(addresses, 400, "s").uprns)[1]
    assert 160 <= unweighted <= 240


@pytest.mark.parametrize(
    ("count", "weights", "message"),
    [
        (0, {}, "at least one"),
        (11, {}, "only 10"),
        (5, {11: 2.0}, "deciles run from 1 to 10"),
        (5, {1: 0.0}, "above 0"),
    ],
)
def test_impossible_draws_are_refused(count, weights, message):
    with pytest.raises(LotteryError, match=message):
        draw_addresses(make_addresses({"A": 10}), count, "s", weights)


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(st.sampled_from("ABCDEF"), st.floats(0.1, 50), min_size=1),
    st.data(),
)
def test_allocation_sums_to_total_and_respects_capacity(weights, data):
    capacity = {w: data.draw(st.integers(1, 40)) for w in weights}
    total = data.draw(st.integers(1, sum(capacity.values())))
    allocation = allocate_by_weight(weights, capacity, total)
    assert sum(allocation.values()) == total
    assert all(0 <= allocation[w] <= capacity[w] for w in weights)


def test_too_many_letters_names_the_addresses_there_are_as_gov_uk_style_writes_them():
    """'Number of letters must be 1200 or fewer': GOV.UK style writes 1,200."""
    with pytest.raises(LotteryError) as refused:
        draw_addresses(make_addresses({"A": 1200}), 1300, "seed")
    assert str(refused.value) == (
        "Number of letters must be 1,200 or fewer: the address list has only 1,200 addresses"
    )
