"""Text in CSV files that people open in a spreadsheet: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return is run as a formula (CSV injection). Such text is written with a leading apostrophe, which
spreadsheets show as text (OWASP's advice), and the apostrophe is taken off again when the file is read back."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text`` as a cell no spreadsheet runs."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def spreadsheet_text(cell: str) -> str:
    """The text a cell written by ``spreadsheet_safe`` holds."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def money_heading(heading: str) -> str:
    """A CSV heading for a column of amounts, naming the currency: "Total (INR)".

    The rule for every CSV the back-office writes: amounts stay plain decimals (``1250.00``, no symbol, no digit
    grouping) so that a spreadsheet can sum them, and the column's heading says the currency (``settings.CURRENCY``);
    choices are written by their labels ("Home collection", not ``home``) and report periods as the pages name them
    ("Dec 2026")."""
    from django.conf import settings

    return f"{heading} ({settings.CURRENCY})"
