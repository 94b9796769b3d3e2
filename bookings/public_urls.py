"""The public report pages (``bookings.public_views``), mounted at ``/reports/`` by the root URL conf."""

from django.urls import path

from bookings import public_views

urlpatterns = [
    path("verify/<str:code>", public_views.report_verify_page, name="report-verify"),
    path("shared/<str:token>", public_views.report_shared_page, name="report-shared"),
    path("shared/<str:token>/report.pdf", public_views.report_shared_pdf, name="report-shared-pdf"),
]
