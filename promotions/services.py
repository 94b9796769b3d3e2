"""Promotions: which discount a cart gets, and race-free coupon redemption.

Rules (SPEC "Promotions", "Quote and booking"): at most one discount per booking — a coupon or an automatic offer,
whichever is better for the customer. A tests offer discounts the eligible subtotal (its applicable tests, or all);
a collection-charge offer discounts the home-collection charge. A discount is never more than what it applies to.
"""

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Upper
from django.utils import timezone

from diagnopet.errors import Conflict, ValidationFailed
from diagnopet.money import ZERO, to_money
from diagnopet.reference_cache import reference_get, reference_key
from promotions.locks import coupon_take_use, lock_coupon
from promotions.models import Coupon, CouponRedemption, Offer
from promotions.querysets import offer_is_active_on

# Rejection reasons, in the order they are checked.
REASONS = (
    "not_found",
    "inactive",
    "not_started",
    "expired",
    "exhausted",
    "per_user_limit",
    "min_order_not_met",
    "not_applicable",
)
REASON_MESSAGES = {
    "not_found": "This coupon code does not exist.",
    "inactive": "This coupon is no longer active.",
    "not_started": "This coupon is not valid yet.",
    "expired": "This coupon has expired.",
    "exhausted": "This coupon has been fully used.",
    "per_user_limit": "You have already used this coupon.",
    "min_order_not_met": "Your order does not reach this coupon's minimum value.",
    "not_applicable": "This coupon does not apply to the tests or collection in your booking.",
    "better_offer_applied": "A better offer was applied to your booking instead.",
}


@dataclass(frozen=True)
class Cart:
    """What a discount is computed on: line amounts per test, the subtotal and the home-collection charge."""

    lines: tuple[tuple[int, Decimal], ...]  # (test id, unit price × quantity)
    subtotal: Decimal
    distance_charge: Decimal


@dataclass(frozen=True)
class Discount:
    offer: Offer
    amount: Decimal
    eligible_amount: Decimal
    coupon: Coupon | None = None


@dataclass
class CouponVerdict:
    code: str
    valid: bool
    reason: str | None = None
    discount: Decimal = ZERO
    applied: bool = False
    coupon: Coupon | None = field(default=None, repr=False)

    @property
    def message(self) -> str:
        if self.reason:
            return REASON_MESSAGES[self.reason]
        return "Coupon applied." if self.applied else "Coupon is valid."


OFFERS_CACHE = reference_key("offers")


def _applicable_test_ids(offer: Offer) -> frozenset[int]:
    """The tests the offer is limited to (empty: every test). Cached offers carry them (``_offer_rows``), and a
    coupon's offer takes them from its cached copy (``coupon_evaluate``); others read them from the database."""
    ids = getattr(offer, "applicable_test_ids", None)
    if ids is None:
        ids = offer.applicable_test_ids = frozenset(offer.applicable_tests.values_list("id", flat=True))
    return ids


def offer_eligible_amount(*, offer: Offer, cart: Cart) -> Decimal:
    """The part of the cart the offer discounts."""
    if offer.applies_to == Offer.Target.COLLECTION_CHARGE:
        return cart.distance_charge
    applicable = _applicable_test_ids(offer)
    if not applicable:
        return cart.subtotal
    return sum((amount for test_id, amount in cart.lines if test_id in applicable), ZERO)


def offer_discount_amount(*, offer: Offer, cart: Cart) -> tuple[Decimal, Decimal]:
    """(discount, eligible amount) for ``offer`` on ``cart``: percentage (capped) or fixed, never above eligible."""
    eligible = offer_eligible_amount(offer=offer, cart=cart)
    if offer.discount_type == Offer.DiscountType.PERCENTAGE:
        amount = to_money(eligible * offer.discount_value / Decimal(100))
        if offer.max_discount_amount is not None:
            amount = min(amount, offer.max_discount_amount)
    else:
        amount = to_money(offer.discount_value)
    return min(amount, eligible), eligible


def _meets_minimum(offer: Offer, cart: Cart) -> bool:
    return offer.minimum_order_value is None or cart.subtotal >= offer.minimum_order_value


def _offer_rows() -> list[tuple[dict, frozenset[int]]]:
    """Every switched-on offer, automatic or behind coupons (whatever its dates), with its applicable test ids,
    oldest first."""
    rows = list(Offer.objects.filter(is_active=True).order_by("id").values())
    links = Offer.applicable_tests.through.objects.filter(offer__is_active=True).values_list("offer_id", "labtest_id")
    tests_of: dict[int, set[int]] = {}
    for offer_id, test_id in links:
        tests_of.setdefault(offer_id, set()).add(test_id)
    return [(row, frozenset(tests_of.get(row["id"], ()))) for row in rows]


def offers_cached() -> dict[int, Offer]:
    """The switched-on offers by id, from the shared cache. ``promotions.signals`` invalidates it whenever an offer is
    saved or deleted, its applicable tests change, or a test is deleted; the validity dates are checked by the caller
    on each use. The cache holds rows; each call gets its own instances."""
    offers = {}
    for row, test_ids in reference_get(OFFERS_CACHE, _offer_rows):
        offer = offers[row["id"]] = Offer(**row)
        offer.applicable_test_ids = test_ids
    return offers


def auto_offer_best(*, cart: Cart, today=None) -> Discount | None:
    """The automatic offer that saves the customer most on this cart (ties: the older offer)."""
    today = today or timezone.localdate()
    best = None
    for offer in offers_cached().values():
        if not offer.auto_apply or not offer_is_active_on(offer, today) or not _meets_minimum(offer, cart):
            continue
        amount, eligible = offer_discount_amount(offer=offer, cart=cart)
        if amount > ZERO and (best is None or amount > best.amount):
            best = Discount(offer=offer, amount=amount, eligible_amount=eligible)
    return best


def coupon_evaluate(*, code: str, user, cart: Cart, now: datetime | None = None) -> CouponVerdict:
    """Check a coupon code for ``user`` and ``cart``; each rejection has its reason code (checked in SPEC order)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    code = (code or "").strip()
    coupon = (
        Coupon.objects.select_related("offer")
        # The customer's uses in the same query (booking_create re-counts them under the coupon's row lock).
        .annotate(user_redemptions=_user_redemptions_subquery(user))
        .filter(code__iexact=code)
        .first()
        if code
        else None
    )
    verdict = CouponVerdict(code=code, valid=False, coupon=coupon)
    if coupon is None:
        verdict.reason = "not_found"
        return verdict
    verdict.code = coupon.code
    offer = coupon.offer
    # The offer's row is the one just read; its applicable tests come with the cached copy of the offer (read from
    # the database when it has none: switched off, or changed by a transaction not committed yet).
    if (cached := offers_cached().get(offer.id)) is not None:
        offer.applicable_test_ids = cached.applicable_test_ids
    if not (coupon.is_active and offer.is_active):
        verdict.reason = "inactive"
    elif now < coupon.start_at or today < offer.start_date:
        verdict.reason = "not_started"
    elif now > coupon.end_at or today > offer.end_date:
        verdict.reason = "expired"
    elif coupon.max_uses is not None and coupon.current_uses >= coupon.max_uses:
        verdict.reason = "exhausted"
    elif coupon.user_redemptions >= coupon.max_uses_per_user:
        verdict.reason = "per_user_limit"
    elif not _meets_minimum(offer, cart):
        verdict.reason = "min_order_not_met"
    else:
        amount, _eligible = offer_discount_amount(offer=offer, cart=cart)
        if amount <= ZERO:
            verdict.reason = "not_applicable"
        else:
            verdict.valid = True
            verdict.discount = amount
    return verdict


def _user_redemptions_subquery(user):
    """An expression on a coupon query: the user's unreleased uses of the coupon."""
    if user is None or not user.is_authenticated:
        return Value(0)
    uses = (
        CouponRedemption.objects.filter(coupon=OuterRef("pk"), user=user, released_at__isnull=True)
        .order_by()
        .values("coupon")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(uses), Value(0))


@dataclass(frozen=True)
class DiscountDecision:
    discount: Discount | None
    coupon_verdict: CouponVerdict | None


def discount_choose(*, user, cart: Cart, coupon_code: str | None, now: datetime | None = None) -> DiscountDecision:
    """The one discount a booking gets: the customer's valid coupon or the best automatic offer, whichever saves
    more (a tie goes to the coupon the customer typed)."""
    now = now or timezone.now()
    verdict = coupon_evaluate(code=coupon_code, user=user, cart=cart, now=now) if coupon_code else None
    auto = auto_offer_best(cart=cart, today=timezone.localdate(now))
    chosen = auto
    if verdict is not None and verdict.valid:
        if auto is None or verdict.discount >= auto.amount:
            verdict.applied = True
            chosen = Discount(
                offer=verdict.coupon.offer,
                amount=verdict.discount,
                eligible_amount=offer_eligible_amount(offer=verdict.coupon.offer, cart=cart),
                coupon=verdict.coupon,
            )
        else:
            verdict.reason = "better_offer_applied"
    return DiscountDecision(discount=chosen, coupon_verdict=verdict)


# savepoint=False: runs inside the booking transaction; if it refuses, the whole booking is refused (the use taken
# with it).
@transaction.atomic(savepoint=False)
def coupon_redeem(*, coupon: Coupon, booking, user, discount_amount: Decimal, now=None) -> CouponRedemption:
    """Record one use of ``coupon`` (as the booking's quote read it) by ``booking``, race-free.

    The use is taken with the coupon's row lock in one conditional UPDATE (``coupon_take_use``): with
    ``max_uses = M``, N concurrent bookings succeed exactly min(N, M) times. The customer's uses and the coupon's
    per-customer limit are then read under that lock, on the committed state (one query), so a user never exceeds
    ``max_uses_per_user``.
    """
    now = now or timezone.now()
    if not coupon_take_use(coupon_id=coupon.pk, now=now):
        raise Conflict(REASON_MESSAGES["exhausted"], code="coupon_exhausted")
    limit, used = (
        Coupon.objects.filter(pk=coupon.pk)
        .annotate(user_redemptions=_user_redemptions_subquery(user))
        .values_list("max_uses_per_user", "user_redemptions")
        .get()
    )
    if used >= limit:
        raise Conflict(REASON_MESSAGES["per_user_limit"], code="coupon_per_user_limit")
    return CouponRedemption.objects.create(
        coupon=coupon, booking=booking, user=user, discount_amount=discount_amount, redeemed_at=now
    )


@transaction.atomic(savepoint=False)
def coupon_release(*, booking) -> CouponRedemption | None:
    """Give a cancelled booking's coupon use back. The redemption row stays as history (``released_at`` set)."""
    redemption = CouponRedemption.objects.filter(booking=booking, released_at__isnull=True).first()
    if redemption is None:
        return None
    lock_coupon(coupon_id=redemption.coupon_id)
    now = timezone.now()
    updated = CouponRedemption.objects.filter(pk=redemption.pk, released_at__isnull=True).update(
        released_at=now, updated_at=now
    )
    if updated:
        Coupon.objects.filter(pk=redemption.coupon_id, current_uses__gt=0).update(
            current_uses=F("current_uses") - 1, updated_at=now
        )
    redemption.released_at = now
    return redemption


# Generated coupon codes: no 0/O, 1/I/L, so a code read aloud or off paper is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_RANDOM_LENGTH = 8  # 31**8 ≈ 8.5e11 codes: collisions are rare, and retried when they happen
CODE_PREFIX_MAX = 20
COUPONS_GENERATE_MAX = 1000
_PREFIX_RE = re.compile(r"^[A-Z0-9-]*$")


def _random_code(prefix: str) -> str:
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM_LENGTH))


def _fresh_codes(prefix: str, count: int) -> list[str]:
    """``count`` new random codes, unique among themselves and against every stored code (case-insensitively)."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {_random_code(prefix) for _ in range(count - len(codes))} - codes
        taken = set(Coupon.objects.annotate(key=Upper("code")).filter(key__in=wanted).values_list("key", flat=True))
        codes |= wanted - taken
    return sorted(codes)


@transaction.atomic(durable=True)
def coupons_generate(
    *,
    offer: Offer,
    count: int,
    prefix: str = "",
    max_uses: int = 1,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
    by=None,
) -> list[Coupon]:
    """Create ``count`` (1–1000) coupons with random codes for ``offer``, all or none, in one transaction.

    Codes are ``prefix`` (upper-cased letters, digits and dashes) + 8 characters from an alphabet without look-alike
    characters, unique regardless of case: codes already stored are drawn again, and if a concurrent writer takes
    one first (the database's unique index refuses it) the whole batch is drawn again. Validity defaults to the
    offer's dates, from the start of its first day to the end of its last day in the clinic's time zone.
    """
    if not 1 <= count <= COUPONS_GENERATE_MAX:
        raise ValidationFailed(
            f"Generate between 1 and {COUPONS_GENERATE_MAX} codes at a time.", code="invalid_count", field="count"
        )
    prefix = (prefix or "").strip().upper()
    if len(prefix) > CODE_PREFIX_MAX or not _PREFIX_RE.match(prefix):
        raise ValidationFailed(
            f"The prefix may have up to {CODE_PREFIX_MAX} letters, digits and dashes.",
            code="invalid_prefix",
            field="prefix",
        )
    if max_uses < 1:
        raise ValidationFailed("Each code must be usable at least once.", code="invalid_max_uses", field="max_uses")
    clinic_tz = timezone.get_default_timezone()
    start_at = start_at or timezone.make_aware(datetime.combine(offer.start_date, time.min), clinic_tz)
    end_at = end_at or timezone.make_aware(datetime.combine(offer.end_date, time.max), clinic_tz)
    if end_at < start_at:
        raise ValidationFailed("The codes' validity ends before it starts.", code="invalid_dates", field="end_at")

    for _attempt in range(3):
        coupons = [
            Coupon(
                code=code,
                offer=offer,
                start_at=start_at,
                end_at=end_at,
                max_uses=max_uses,
                max_uses_per_user=1,
                created_by=by,
            )
            for code in _fresh_codes(prefix, count)
        ]
        try:
            with transaction.atomic():  # a savepoint: a lost race rolls back this batch only, then we redraw
                return Coupon.objects.bulk_create(coupons)
        except IntegrityError:
            continue
    raise Conflict("Could not draw unique codes; please try again.", code="codes_exhausted")
