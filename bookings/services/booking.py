def booking_quote(*, user, pet_id, test_ids, collection_type, address_id=None, slot_id=None, coupon_code=None):
    raise NotImplementedError


def booking_create(
    *,
    user,
    pet_id,
    test_ids,
    collection_type,
    slot_id,
    address_id=None,
    coupon_code=None,
    notes="",
    idempotency_key=None,
):
    raise NotImplementedError


def booking_cancel(*, booking, by, reason=""):
    raise NotImplementedError
