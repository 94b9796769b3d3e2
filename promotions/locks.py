"""Row locks for promotions. The only place that locks coupon rows (``select_for_update`` or a conditional UPDATE).

Lock order across the booking flow: collection slot (conditional UPDATE) → coupon → billing record.
"""

from django.db.models import F, Q

from promotions.models import Coupon


def lock_coupon(*, coupon_id: int) -> Coupon:
    """Lock one coupon row until the end of the transaction and return its current state."""
    return Coupon.objects.select_for_update(of=("self",)).select_related("offer").get(pk=coupon_id)


def coupon_take_use(*, coupon_id: int, now) -> bool:
    """Lock the coupon row and count one more use, in one conditional UPDATE; False when it is used up.

    N concurrent takers of a coupon with M uses left succeed exactly min(N, M) times: the UPDATE's row lock
    serialises them and each re-evaluates ``current_uses < max_uses`` on the committed row. The lock is held until
    the transaction ends, so what the taker reads afterwards includes every earlier taker's committed work.
    """
    room = Q(max_uses__isnull=True) | Q(current_uses__lt=F("max_uses"))
    taken = Coupon.objects.filter(room, pk=coupon_id).update(current_uses=F("current_uses") + 1, updated_at=now)
    return taken == 1
