from django.contrib import admin
from django.urls import path

from diagnopet.views import healthz

admin.site.site_header = "DiagnoPet back-office"
admin.site.site_title = "DiagnoPet"
admin.site.index_title = "Today's work"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
