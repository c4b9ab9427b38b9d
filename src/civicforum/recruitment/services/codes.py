"""Household registration codes printed on invitation letters.

Ten characters from a 32-letter alphabet without look-alikes (no 0/O, 1/I) carry 50 bits: even a
million guesses against 30,000 live codes find one with a chance of about 1 in 37,000, and the code
check is rate-limited on top. Codes are stored only as a keyed hash, so a
database leak does not reveal codes that could still be used. The hash is keyed with ``SECRET_KEY``:
changing it invalidates the codes already posted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10
CODE_BITS = 50  # CODE_LENGTH * log2(len(ALPHABET))


def new_code() -> str:
    """A fresh random code, shown to people as two groups of five: 'K7QX2-MBH9T'."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return format_code(raw)


def format_code(raw: str) -> str:
    return f"{raw[:5]}-{raw[5:]}"


def compact(typed: str) -> str:
    """The letters and digits of what someone typed, in capitals: how codes and references compare."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def same_code(typed: str, other: str) -> bool:
    """Whether two typings are the same code, ignoring case, spaces and dashes (as checking it does)."""
    return compact(typed) == compact(other)


def normalise_code(typed: str) -> str | None:
    """What a person typed -> the canonical code, or None if it cannot be a code.

    Case, spaces and dashes are ignored: people type codes on phones, in lower case, without the dash.
    """
    return None if problem_with(typed) else format_code(compact(typed))


def problem_with(typed: str) -> str | None:
    """What to fix in a typed code, in words for the person typing it, or None if it could be a code.

    People copy codes from paper: they read a look-alike, miss a character or type one twice.
    """
    letters = compact(typed)
    if not letters:  # only emoji, symbols or punctuation: perhaps not the code at all, or a keyboard mix-up
        return (
            "Enter the code from your letter: it is printed in bold in the ‘How to register’ box, and is 10 "
            "letters and numbers, like K7QX2-MBH9T"
        )
    if set(letters) & set("01IO"):
        return (
            "Codes never contain the letters O or I, or the numbers 0 or 1. "
            "Check the code on your letter and enter it again"
        )
    if any(ch not in ALPHABET for ch in letters):
        return "Enter only the letters and numbers of the code on your letter, like K7QX2-MBH9T"
    if len(letters) != CODE_LENGTH:
        entered = len(letters)
        return f"The code must be {CODE_LENGTH} letters and numbers, like K7QX2-MBH9T. You entered {entered}"
    return None


def hash_code(code: str, key: str) -> str:
    """Keyed hash of a canonical code, for storage and lookup."""
    return hmac.new(key.encode(), f"registration-code:{code}".encode(), hashlib.sha256).hexdigest()
