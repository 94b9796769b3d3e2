from django.urls import path

from billing.api.views import (
    BillingSummaryView,
    BillViewSet,
    PaymentConfirmView,
    PaymentReceiptView,
    PaymentWebhookView,
)
from diagnopet.api.routers import ApiRouter

app_name = "billing"

router = ApiRouter()
router.register("bills", BillViewSet, basename="bill")

urlpatterns = [
    path("staff/billing/summary", BillingSummaryView.as_view(), name="billing-summary"),
    path("payments/<int:pk>/receipt", PaymentReceiptView.as_view(), name="payment-receipt"),
    *router.urls,
    path("payments/confirm", PaymentConfirmView.as_view(), name="payment-confirm"),
    path("payments/webhooks/<str:provider>", PaymentWebhookView.as_view(), name="payment-webhook"),
]
