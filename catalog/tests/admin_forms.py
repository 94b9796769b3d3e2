"""The lab test admin form as a browser posts it, for tests of the catalog admin and of what its saves reach."""

import json


def labtest_form(test, **changes) -> dict:
    """The test's admin change form as a browser posts it: every field with its current value (empty values left
    out, as an unchecked box or a cleared input sends nothing), then ``changes``."""
    data = {
        "code": test.code,
        "name": test.name,
        "category": test.category_id,
        "species": json.dumps(test.species),
        "description": test.description,
        "is_package": "on" if test.is_package else "",
        "is_active": "on" if test.is_active else "",
        "price": str(test.price),
        "discounted_price": "" if test.discounted_price is None else str(test.discounted_price),
        "sample_type": test.sample_type,
        "tube_type": test.tube_type,
        "sample_quantity_ml": "" if test.sample_quantity_ml is None else str(test.sample_quantity_ml),
        "fasting_required": "on" if test.fasting_required else "",
        "collection_instructions": test.collection_instructions,
        "tat_hours": "" if test.tat_hours is None else str(test.tat_hours),
        # The component tests inline (a package's tests; none here).
        "component_links-TOTAL_FORMS": "0",
        "component_links-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    return {key: value for key, value in (data | changes).items() if value != ""}
