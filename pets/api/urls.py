from diagnopet.api.routers import ApiRouter
from pets.api.views import PetViewSet

app_name = "pets"

router = ApiRouter()
router.register("pets", PetViewSet, basename="pet")

urlpatterns = router.urls
