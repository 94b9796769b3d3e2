"""Booking and item codes: short, unique, read aloud and typed without confusion.

A booking's code is ``DP-`` and six characters; each of its items (a tube) adds its two-digit number:
``DP-7K3Q9X-01``. One normalisation serves both, so a scanner's or a person's spelling finds either."""

import re
import secrets

# No 0/O, 1/I/L: nothing a collector can misread on a tube label.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 6
PREFIX = "DP-"
# A tube's code as stored: its booking's code, a dash, its number (two digits or more). Any letters or digits, of any
# length: codes made before the alphabet was narrowed (and longer ones the column allows) still scan.
ITEM_CODE = re.compile(r"(DP-[A-Z0-9]+)-\d{2,}")


def booking_code_new() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def booking_code_normalize(raw: str) -> str:
    """What a person typed or a scanner read → the stored form (upper case, with the prefix)."""
    # Letters, digits and the dash only: anything else a scanner or a person adds (spaces, NULs) is noise.
    code = "".join(ch for ch in (raw or "").upper() if ch.isascii() and (ch.isalnum() or ch == "-"))
    if not code.startswith(PREFIX):
        code = PREFIX + code.removeprefix("DP")
    return code


def item_code(booking_code: str, sequence: int) -> str:
    """An item's code: its booking's code and its number on two digits (three from the 100th item on)."""
    return f"{booking_code}-{sequence:02d}"


def booking_code_from_scan(raw: str) -> str:
    """The booking code a scan names: a booking's code as it is, a tube's (``DP-7K3Q9X-01``) without its number, so
    scanning any tube of a visit finds the visit."""
    code = booking_code_normalize(raw)
    match = ITEM_CODE.fullmatch(code)
    return match.group(1) if match else code


def item_codes_to_booking_codes(text: str) -> str:
    """``text`` (a search box's words) with every tube code replaced by its booking's code, in any case."""
    return re.sub(r"\b(DP-[A-Z0-9]+)-\d{2,}\b", lambda m: m.group(1).upper(), text, flags=re.IGNORECASE)
