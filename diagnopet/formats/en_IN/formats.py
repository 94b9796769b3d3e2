"""Dates as the clinic's staff write them (LANGUAGE_CODE en-in; FORMAT_MODULE_PATH): 31/12/2026, day first.

The first input format is also how date inputs show their value (and what the admin's calendar writes); ISO dates
are still taken, so a pasted 2026-12-31 works. Dates and times are shown as 07 Dec 2026, 20:32. The API is not
concerned: DRF reads and writes ISO 8601 whatever the locale.
"""

DATE_INPUT_FORMATS = [
    "%d/%m/%Y",  # 31/12/2026
    "%d-%m-%Y",  # 31-12-2026
    "%d.%m.%Y",  # 31.12.2026
    "%Y-%m-%d",  # 2026-12-31 (ISO)
]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
]
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
# Shown dates and times, as on the lab's other pages (dashboard, worklist, statements): 07 Dec 2026, 20:32.
DATE_FORMAT = "d M Y"
DATETIME_FORMAT = "d M Y, H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "M Y"
MONTH_DAY_FORMAT = "d M"
