"""Reads of a pet's health record that are more than a queryset: its trend charts, cached."""

from django.core.cache import cache

from bookings.querysets import published_results
from bookings.services.publishing import results_token
from bookings.trend import Point, trend_png

TREND_TIMEOUT = 24 * 3600
ABNORMAL = frozenset({"low", "high", "critical_low", "critical_high"})


def pet_trend_png(*, pet_id: int, analyte_code: str, released_only: bool = True) -> bytes | None:
    """The PNG of the pet's published values of the analyte (None when it has none): the delivered ones (what the
    customer sees), or every verified one for staff (``released_only=False``).

    Cached in the default cache under the pet's results token and the id of its latest published value of that
    analyte: a verification replaces the token after it commits (``results_changed``), and a new value has a new
    id, so a cached chart never outlives the values it shows. Two queries on a hit (the latest id; the token is
    the cache), three on a miss."""
    code = analyte_code.upper()
    if "\x00" in code:  # names no analyte; and PostgreSQL refuses NUL in a text parameter
        return None
    results = published_results(pet_id=pet_id, released_only=released_only).filter(analyte__code__iexact=code)
    latest = results.order_by("-id").values_list("id", flat=True).first()
    if latest is None:
        return None
    key = f"results:trend:{pet_id}:{code}:{int(released_only)}:{results_token(pet_id)}:{latest}"
    png = cache.get(key)
    if png is None:
        rows = list(results.select_related("analyte").order_by("sampled_at", "entered_at", "id"))
        analyte = rows[-1].analyte
        points = [
            Point(
                at=r.sampled_at or r.entered_at,
                value=r.value,
                low=r.range_low,
                high=r.range_high,
                abnormal=r.flag in ABNORMAL,
            )
            for r in rows
        ]
        png = trend_png(title=f"{analyte.code} — {analyte.name}", unit=rows[-1].unit, points=points)
        cache.set(key, png, TREND_TIMEOUT)
    return png
