from django.urls import path

from privacy.api import views

urlpatterns = [
    path("me/close", views.AccountCloseView.as_view(), name="me-close"),
]
