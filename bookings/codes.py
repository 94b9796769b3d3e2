"""Booking codes: short, unique, read aloud and typed without confusion."""

import secrets

# No 0/O, 1/I/L: nothing a collector can misread on a tube label.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 6
PREFIX = "DP-"


def booking_code_new() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def booking_code_normalize(raw: str) -> str:
    """What a person typed or a scanner read → the stored form (upper case, with the prefix)."""
    # Letters, digits and the dash only: anything else a scanner or a person adds (spaces, NULs) is noise.
    code = "".join(ch for ch in (raw or "").upper() if ch.isascii() and (ch.isalnum() or ch == "-"))
    if not code.startswith(PREFIX):
        code = PREFIX + code.removeprefix("DP")
    return code
