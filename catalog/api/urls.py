from catalog.api.views import CategoryViewSet, LabTestViewSet, TagViewSet
from diagnopet.api.routers import ApiRouter

app_name = "catalog"

router = ApiRouter()
router.register("catalog/categories", CategoryViewSet, basename="category")
router.register("catalog/tags", TagViewSet, basename="tag")
router.register("catalog/tests", LabTestViewSet, basename="test")

urlpatterns = router.urls
