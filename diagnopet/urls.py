from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from diagnopet.views import healthz

# The only module that imports every app's API.
api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("pets.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("clinic.api.urls")),
    path("", include("promotions.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("bookings.api.urls")),
    path("", include("reviews.api.urls")),
    path("", include("content.api.urls")),
    path("", include("privacy.api.urls")),
]

# Error pages: JSON under /api/, the back-office's pages (saying why, linking the role's start page) elsewhere.
handler403 = "backoffice.views.permission_denied"
handler404 = "backoffice.views.not_found"
handler500 = "diagnopet.views.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    # Public report pages (plain HTML, no login): verification by code and hash, and share links.
    path("reports/", include("bookings.public_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Its init script is served by the view itself (?script), not inline: the pages' CSP allows only 'self' scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
]
