"""Reports with result values, as the lab's "submit results" leaves them: a generated version (no file) whose
``uploaded_by`` is who entered the values, with the values attached."""

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.tests.factories import StaffUserFactory
from bookings.models import ResultValue
from bookings.tests.factories import BookingFactory, BookingItemFactory, ResultValueFactory, TestReportFactory
from catalog.tests.factories import AnalyteFactory


def submitted_report(
    *, analytes: int = 3, booking=None, test=None, sampled_at=None, values=None, entered_by=None, **report_kwargs
):
    """A generated report of ``analytes`` results (values 10, 11, …, or ``values``), HCT first."""
    sampled_at = sampled_at or timezone.now() - datetime.timedelta(hours=6)
    booking = booking or BookingFactory()
    item_kwargs = {"test": test} if test is not None else {}
    item = BookingItemFactory(
        booking=booking,
        status="processing",
        collected_at=sampled_at,
        received_at=sampled_at + datetime.timedelta(hours=1),
        **item_kwargs,
    )
    entered_by = entered_by or StaffUserFactory()
    report = TestReportFactory(booking_item=item, status="generated", uploaded_by=entered_by, **report_kwargs)
    codes = ["HCT", "HGB", "RBC", "WBC", "PLT"]
    for n in range(analytes):
        code = codes[n] if n < len(codes) else f"X{n:02d}"
        analyte = item.test.analytes.filter(code=code).first() or AnalyteFactory(
            test=item.test, code=code, name=f"{code} name", position=n, unit="%", decimals=1
        )
        value = values[n] if values else Decimal(10 + n)
        ResultValueFactory(
            item=item,
            report=report,
            analyte=analyte,
            value=value,
            unit=analyte.unit,
            entered_by=entered_by,
            sampled_at=sampled_at,
            flag=ResultValue.Flag.NORMAL,
        )
    return report
