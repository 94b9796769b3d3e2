from django.urls import path

from clinic.api.views import ClinicInfoView

app_name = "clinic"
urlpatterns = [
    path("clinic/", ClinicInfoView.as_view(), name="clinic-info"),
]
