from content.api.views import AnnouncementViewSet, FaqViewSet, TestimonialViewSet
from diagnopet.api.routers import ApiRouter

app_name = "content"

router = ApiRouter()
router.register("content/faqs", FaqViewSet, basename="faq")
router.register("content/announcements", AnnouncementViewSet, basename="announcement")
router.register("content/testimonials", TestimonialViewSet, basename="testimonial")

urlpatterns = router.urls
