from diagnopet.api.routers import ApiRouter
from promotions.api.views import OfferViewSet

app_name = "promotions"

router = ApiRouter()
router.register("offers", OfferViewSet, basename="offer")

urlpatterns = router.urls
