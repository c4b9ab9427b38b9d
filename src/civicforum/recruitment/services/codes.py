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


def normalise_code(typed: str) -> str | None:
    """What a person typed -> the canonical code, or None if it cannot be a code.

    Case, spaces and dashes are ignored: people type codes on phones, in lower case, without the dash.
    """
    compact = "".join(ch for ch in typed.upper() if ch.isalnum())
    if len(compact) != CODE_LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return format_code(compact)


def hash_code(code: str, key: str) -> str:
    """Keyed hash of a canonical code, for storage and lookup."""
    return hmac.new(key.encode(), f"registration-code:{code}".encode(), hashlib.sha256).hexdigest()
