import math

from hypothesis import given
from hypothesis import strategies as st

from civicforum.recruitment.services.codes import ALPHABET, CODE_BITS, hash_code, new_code, normalise_code


def test_codes_have_at_least_40_bits_and_no_look_alikes():
    assert CODE_BITS == int(10 * math.log2(len(ALPHABET))) >= 40
    assert not set("01IO") & set(ALPHABET)
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000


@given(st.builds(lambda: new_code()), st.sampled_from([str.lower, str.upper, lambda c: c.replace("-", " ")]))
def test_people_may_type_codes_loosely(code, mangle):
    assert normalise_code(mangle(code)) == code


def test_wrong_codes_are_not_codes():
    assert normalise_code("ABCDE-FGHJ") is None
    assert normalise_code("ABCDE-FGHJ0") is None
    assert normalise_code("ABCDE-FGHIK") is None


def test_hash_depends_on_key_and_code():
    assert hash_code("ABCDE-FGHJK", "k1") == hash_code("ABCDE-FGHJK", "k1")
    assert hash_code("ABCDE-FGHJK", "k1") != hash_code("ABCDE-FGHJK", "k2")
    assert hash_code("ABCDE-FGHJK", "k1") != hash_code("ABCDE-FGHJL", "k1")
