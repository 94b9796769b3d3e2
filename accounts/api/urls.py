from django.urls import path

from accounts.api import views
from diagnopet.api.routers import ApiRouter

app_name = "accounts"

router = ApiRouter()
router.register("addresses", views.AddressViewSet, basename="address")
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="register"),
    path("auth/token", views.LoginView.as_view(), name="token"),
    path("auth/token/refresh", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="logout"),
    path("auth/otp/request", views.OtpRequestView.as_view(), name="otp-request"),
    path("auth/otp/verify", views.OtpVerifyView.as_view(), name="otp-verify"),
    path("me", views.MeView.as_view(), name="me"),
    path("me/password", views.MePasswordView.as_view(), name="me-password"),
    *router.urls,
]
