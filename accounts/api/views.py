"""Customer API of accounts: auth (register, password and one-time-code login, tokens), profile, addresses, inbox.

Views validate input, call a service from ``accounts.services`` and serialise the result; the rules live there.
"""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.api.serializers import (
    AddressSerializer,
    LoginSerializer,
    MarkedReadSerializer,
    MeSerializer,
    NotificationSerializer,
    OtpCooldownErrorSerializer,
    OtpRequestedSerializer,
    OtpRequestSerializer,
    OtpVerifySerializer,
    PasswordChangeSerializer,
    RefreshTokenSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    UserSerializer,
    validation_error_serializer,
)
from accounts.models import Address, Notification
from accounts.services import (
    AuthenticationError,
    OtpCooldown,
    OtpDailyLimit,
    address_create,
    address_delete,
    address_update,
    auth_login,
    auth_logout,
    auth_token_refresh,
    auth_tokens_allowed,
    auth_tokens_issue,
    notification_mark_all_read,
    notification_mark_read,
    otp_request,
    otp_verify,
    user_password_change,
    user_profile_update,
    user_register,
)
from accounts.throttles import AuthIPThrottle, AuthPhoneThrottle, AuthUsernameThrottle, OTPIPThrottle, OTPPhoneThrottle
from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.schema import errors as shared_errors

# The global anon/user rates keep applying where a view adds its own throttles.
GLOBAL_THROTTLES = tuple(api_settings.DEFAULT_THROTTLE_CLASSES)

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[status.HTTP_429_TOO_MANY_REQUESTS],
    description="Seconds to wait before trying again.",
)


def errors(*codes: int, invalid=None) -> dict[int, OpenApiResponse]:
    """The shared error responses, with the 400 body spelled out for ``invalid``, the operation's input serializer."""
    responses = shared_errors(*codes)
    if 400 in codes and invalid is not None:
        responses[400] = OpenApiResponse(
            validation_error_serializer(invalid), description="Invalid input; the body says which field and why."
        )
    return responses


# --- Auth -----------------------------------------------------------------------------------------


class AuthView(StrictQueryMixin, APIView):
    """An endpoint that logs people in: anyone may call it, and a stale ``Authorization`` header is ignored."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (*GLOBAL_THROTTLES, AuthIPThrottle)

    def get_authenticate_header(self, request) -> str:
        # Without authentication classes DRF would turn a refused login into 403; it is a 401 with our scheme.
        return 'Bearer realm="api"'

    def handle_exception(self, exc):
        if isinstance(exc, (OtpCooldown, OtpDailyLimit)):
            body = {"detail": exc.message, "code": exc.code, "retry_after": exc.retry_after}
            return Response(body, status=exc.status_code, headers={"Retry-After": str(exc.retry_after)})
        if isinstance(exc, AuthenticationError):
            # DRF's own 401 carries the WWW-Authenticate header; the handler adds the code to the body.
            exc = exceptions.AuthenticationFailed(exc.message, code=exc.code)
        return super().handle_exception(exc)


@extend_schema(tags=["auth"])
class RegisterView(AuthView):
    throttle_classes = (*AuthView.throttle_classes, AuthPhoneThrottle)

    @extend_schema(
        summary="Create a customer account and log in",
        request=RegisterSerializer,
        responses={201: RegisteredSerializer, **errors(400, 429, invalid=RegisterSerializer)},
        parameters=[RETRY_AFTER],
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_register(**serializer.validated_data)
        body = {"user": UserSerializer(user).data, **auth_tokens_issue(user=user)}
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["auth"])
class LoginView(AuthView):
    throttle_classes = (*AuthView.throttle_classes, AuthUsernameThrottle)

    @extend_schema(
        summary="Log in with a phone number or email and a password",
        description=(
            "Failed logins in a row lock the account for a while (401 with code `account_locked`). A staff account "
            "with an authenticator app also sends its current code as `otp_token` (401 `otp_token_required` when it "
            "is missing or wrong; a wrong code counts as a failed login)."
        ),
        request=LoginSerializer,
        responses={200: TokenPairSerializer, **errors(400, 401, 429, invalid=LoginSerializer)},
        parameters=[RETRY_AFTER],
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = auth_login(request=request, **serializer.validated_data)
        auth_tokens_allowed(user=user)
        return Response(auth_tokens_issue(user=user))


@extend_schema(tags=["auth"])
class TokenRefreshView(AuthView):
    @extend_schema(
        summary="Swap a refresh token for a new pair; the old refresh token stops working",
        request=RefreshTokenSerializer,
        responses={200: TokenPairSerializer, **errors(400, 401, 429, invalid=RefreshTokenSerializer)},
        parameters=[RETRY_AFTER],
    )
    def post(self, request):
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(auth_token_refresh(refresh=serializer.validated_data["refresh"]))


@extend_schema(tags=["auth"])
class LogoutView(StrictQueryMixin, APIView):
    throttle_classes = (*GLOBAL_THROTTLES, AuthIPThrottle)

    @extend_schema(
        summary="Blacklist the caller's refresh token",
        request=RefreshTokenSerializer,
        responses={204: None, **errors(400, 401, 429, invalid=RefreshTokenSerializer)},
        parameters=[RETRY_AFTER],
    )
    def post(self, request):
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        auth_logout(user=request.user, refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["auth"])
class OtpRequestView(AuthView):
    throttle_classes = (*GLOBAL_THROTTLES, OTPIPThrottle, OTPPhoneThrottle)

    @extend_schema(
        summary="Text a one-time login code to a phone",
        description="The answer is the same whether or not the phone is registered; only registered phones get a text.",
        request=OtpRequestSerializer,
        responses={
            202: OtpRequestedSerializer,
            **errors(400, invalid=OtpRequestSerializer),
            429: OpenApiResponse(
                OtpCooldownErrorSerializer,
                description=(
                    "A code was sent moments ago (code `otp_cooldown`), too many wrong codes for this phone in the "
                    "last 24 hours (`otp_daily_limit`), or too many requests (`throttled`)."
                ),
            ),
        },
        parameters=[RETRY_AFTER],
    )
    def post(self, request):
        serializer = OtpRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        otp_request(phone=serializer.validated_data["phone"])
        body = {
            "detail": "If this phone number is registered, a code has been sent to it.",
            "expires_in": settings.OTP_TTL_SECONDS,
            "resend_after": settings.OTP_RESEND_COOLDOWN_SECONDS,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["auth"])
class OtpVerifyView(AuthView):
    throttle_classes = (*GLOBAL_THROTTLES, OTPIPThrottle, OTPPhoneThrottle)

    @extend_schema(
        summary="Log in with a one-time code",
        description=(
            "Codes `otp_invalid`, `otp_expired` and `otp_attempts_exceeded` on a refused code; 429 `otp_daily_limit` "
            "after too many wrong codes for the phone (or from the client's address) in the last 24 hours; 401 "
            "`otp_token_required` for a staff account that logs in with an authenticator app."
        ),
        request=OtpVerifySerializer,
        responses={
            200: TokenPairSerializer,
            **errors(400, 401, invalid=OtpVerifySerializer),
            429: OpenApiResponse(OtpCooldownErrorSerializer, description="`otp_daily_limit` or `throttled`."),
        },
        parameters=[RETRY_AFTER],
    )
    def post(self, request):
        serializer = OtpVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = otp_verify(**serializer.validated_data, ip=OTPIPThrottle().get_ident(request))
        return Response(auth_tokens_issue(user=user))


# --- Profile --------------------------------------------------------------------------------------


@extend_schema(tags=["me"])
class MeView(StrictQueryMixin, GenericAPIView):
    serializer_class = MeSerializer

    @extend_schema(summary="My profile", responses={200: MeSerializer, **errors(401, 429)})
    def get(self, request):
        return Response(self.get_serializer(request.user).data)

    @extend_schema(
        summary="Change my profile",
        description="Change the name, the email address or the notification channels (`notification_channels`: "
        "any of `sms`, `whatsapp`, `email`; `[]` = in-app only). 400 `email_required`: email notifications need an "
        "email address (choosing them without one, or removing the address while they are chosen); an unknown "
        "channel is a field error on `notification_channels`; `email_taken`: another account has that address.",
        responses={200: MeSerializer, **errors(400, 401, 429, invalid=MeSerializer)},
    )
    def patch(self, request):
        serializer = self.get_serializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_profile_update(user=request.user, data=serializer.validated_data)
        return Response(self.get_serializer(user).data)


@extend_schema(tags=["me"])
class MePasswordView(StrictQueryMixin, APIView):
    throttle_classes = (*GLOBAL_THROTTLES, AuthIPThrottle)

    @extend_schema(
        summary="Change the password",
        description="Every refresh token of the user is revoked (other sessions are logged out); "
        "the answer carries a new token pair for this client.",
        request=PasswordChangeSerializer,
        responses={200: TokenPairSerializer, **errors(400, 401, 429, invalid=PasswordChangeSerializer)},
    )
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = user_password_change(user=request.user, **serializer.validated_data)
        return Response(auth_tokens_issue(user=user))


# --- Addresses ------------------------------------------------------------------------------------


@extend_schema(tags=["addresses"])
@extend_schema_view(
    list=extend_schema(summary="My addresses", responses={200: AddressSerializer, **errors(401, 429)}),
    create=extend_schema(
        summary="Add an address",
        responses={201: AddressSerializer, **errors(400, 401, 429, invalid=AddressSerializer)},
    ),
    retrieve=extend_schema(summary="One of my addresses", responses={200: AddressSerializer, **errors(401, 404, 429)}),
    update=extend_schema(
        summary="Replace an address",
        responses={200: AddressSerializer, **errors(400, 401, 404, 429, invalid=AddressSerializer)},
    ),
    partial_update=extend_schema(
        summary="Change an address",
        responses={200: AddressSerializer, **errors(400, 401, 404, 429, invalid=AddressSerializer)},
    ),
    destroy=extend_schema(summary="Delete an address", responses={204: None, **errors(401, 404, 429)}),
)
class AddressViewSet(StrictQueryMixin, viewsets.ModelViewSet):
    """The caller's addresses; exactly one is the default once there is any."""

    serializer_class = AddressSerializer
    filter_backends = ()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Address.objects.none()
        return Address.objects.filter(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = address_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = address_update(address=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        address_delete(address=instance)


# --- Notifications --------------------------------------------------------------------------------


@extend_schema(tags=["notifications"])
@extend_schema_view(
    list=extend_schema(summary="My notifications", responses={200: NotificationSerializer, **errors(401, 429)})
)
class NotificationViewSet(StrictQueryMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's in-app notifications, newest first."""

    serializer_class = NotificationSerializer
    filter_backends = ()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        # Newest first (the model's ordering).
        return Notification.objects.filter(user=self.request.user)

    @extend_schema(
        summary="Mark a notification read",
        request=None,
        responses={200: NotificationSerializer, **errors(401, 404, 429)},
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = notification_mark_read(notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        summary="Mark all my notifications read",
        request=None,
        responses={200: MarkedReadSerializer, **errors(401, 429)},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"count": notification_mark_all_read(user=request.user)})
