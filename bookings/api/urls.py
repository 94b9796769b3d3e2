from django.urls import path

from bookings.api.record_views import PetResultViewSet, PetWeightViewSet, ReportShareViewSet
from bookings.api.staff_views import CollectionViewSet
from bookings.api.views import BookingViewSet, PetReportViewSet, ReportViewSet, SlotViewSet
from diagnopet.api.routers import ApiRouter

app_name = "bookings"

router = ApiRouter()
router.register("bookings", BookingViewSet, basename="booking")
router.register("slots", SlotViewSet, basename="slot")
router.register("reports", ReportViewSet, basename="report")
router.register("staff/collections", CollectionViewSet, basename="collection")

urlpatterns = [
    path("pets/<int:pet_id>/reports/", PetReportViewSet.as_view({"get": "list"}), name="pet-reports"),
    path("pets/<int:pet_id>/results/", PetResultViewSet.as_view({"get": "list"}), name="pet-results"),
    path(
        "pets/<int:pet_id>/results/<str:analyte>/trend.png",
        PetResultViewSet.as_view({"get": "trend"}),
        name="pet-result-trend",
    ),
    path("pets/<int:pet_id>/weights/", PetWeightViewSet.as_view({"get": "list"}), name="pet-weights"),
    path(
        "reports/<int:pk>/share",
        ReportShareViewSet.as_view({"get": "list", "post": "create"}),
        name="report-share",
    ),
    path(
        "reports/<int:pk>/share/<int:share_id>",
        ReportShareViewSet.as_view({"delete": "destroy"}),
        name="report-share-revoke",
    ),
    *router.urls,
]
