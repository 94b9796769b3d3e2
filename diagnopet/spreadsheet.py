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
