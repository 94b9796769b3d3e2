"""Links to a visit's place on a map."""

from urllib.parse import urlencode


def maps_url(booking) -> str:
    """Google Maps' documented search URL for the booking's address pin (``?api=1&query=lat,lon``), which opens the
    Maps app on a phone; empty when the booking has no pin."""
    if booking.latitude is None or booking.longitude is None:
        return ""
    return "https://www.google.com/maps/search/?" + urlencode(
        {"api": "1", "query": f"{booking.latitude},{booking.longitude}"}, safe=","
    )
