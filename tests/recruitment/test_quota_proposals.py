from hypothesis import given
from hypothesis import strategies as st

from civicforum.recruitment.services.quotas import parse_share, propose_range


@given(st.floats(0, 1), st.integers(1, 200), st.integers(0, 10))
def test_proposed_range_contains_the_exact_share_and_stays_within_the_panel(share, panel, slack):
    proposed = propose_range(share, panel, slack)
    assert 0 <= proposed.minimum <= share * panel <= proposed.maximum <= panel
    assert proposed.maximum - proposed.minimum <= 2 * slack + 1


@given(st.integers(0, 10_000))
def test_shares_read_as_percent_or_fraction(basis_points):
    as_fraction = parse_share(f"{basis_points / 10_000}")
    as_percent = parse_share(f"{basis_points / 100}%")
    assert as_fraction is not None and as_percent is not None
    assert abs(float(as_fraction) - float(as_percent)) < 1e-9


def test_impossible_shares_are_refused():
    assert parse_share("101%") is None and parse_share("-0.1") is None and parse_share("half") is None


def test_not_a_number_is_refused_rather_than_crashing_the_comparison():
    assert parse_share("NaN") is None and parse_share("sNaN") is None and parse_share("nan%") is None
