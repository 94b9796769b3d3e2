from django.urls import path

from billing.api.views import BillingSummaryView

app_name = "billing"
urlpatterns = [
    path("staff/billing/summary", BillingSummaryView.as_view(), name="billing-summary"),
]
