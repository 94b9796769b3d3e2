"""Back-office pages for slots, bookings and their items, batches, reports and prescriptions.

Bookings, items and reports move through their lifecycles only through ``bookings.services``: the actions
here run one service per selected row and report each success or refusal as a message. Status, money and
people fields are read-only, and nothing is editable once a booking is closed.

Who may run what follows ``accounts.roles``: an action needs the model permission it writes with
(``change_booking``, ``change_bookingitem``, ``add``/``change_testreport``, ``change_prescriptionupload``).
Collectors hold ``change_booking`` for their visits only, so of the booking actions they get the ones of a visit
(mark collected, no-show, tube labels); dispatching (assign, confirm, cancel) and lab steps are not theirs.
Analysts (view only) get the CSV export and nothing that writes.

One module per page (bookings, items, reports, slots, prescriptions, the collector's view of pets and addresses);
importing them here registers them with the admin site.
"""

from bookings.admin import (
    assignments,
    bookings,
    items,
    prescriptions,
    reports,
    results,
    shares,
    slots,
    visit_scope,
)
from bookings.admin.assignments import CollectorAssignmentAdmin
from bookings.admin.bookings import BookingAdmin
from bookings.admin.items import BookingItemAdmin, TestBatchGroupAdmin
from bookings.admin.prescriptions import PrescriptionUploadAdmin
from bookings.admin.reports import TestReportAdmin
from bookings.admin.results import ResultValueAdmin
from bookings.admin.shares import ReportShareAccessAdmin, ReportShareAdmin
from bookings.admin.slots import CollectionSlotAdmin
from bookings.admin.visit_scope import VisitScopedAddressAdmin, VisitScopedPetAdmin

__all__ = [
    "BookingAdmin",
    "CollectorAssignmentAdmin",
    "BookingItemAdmin",
    "CollectionSlotAdmin",
    "PrescriptionUploadAdmin",
    "ReportShareAccessAdmin",
    "ReportShareAdmin",
    "ResultValueAdmin",
    "TestBatchGroupAdmin",
    "TestReportAdmin",
    "VisitScopedAddressAdmin",
    "VisitScopedPetAdmin",
    "assignments",
    "bookings",
    "items",
    "prescriptions",
    "reports",
    "results",
    "shares",
    "slots",
    "visit_scope",
]
