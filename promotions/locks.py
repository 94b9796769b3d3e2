"""Row locks for promotions. The only place that calls select_for_update here.

Lock order across the booking flow: collection slot (conditional UPDATE) → coupon → billing record.
"""

from promotions.models import Coupon


def lock_coupon(*, coupon_id: int) -> Coupon:
    """Lock one coupon row until the end of the transaction and return its current state."""
    return Coupon.objects.select_for_update(of=("self",)).select_related("offer").get(pk=coupon_id)
