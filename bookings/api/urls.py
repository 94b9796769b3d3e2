from django.urls import path

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
    *router.urls,
]
