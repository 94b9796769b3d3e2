"""``POST me/close``: a customer closes their own account."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.throttles import AuthIPThrottle
from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.schema import errors
from privacy.api.serializers import AccountClosedSerializer, AccountCloseSerializer
from privacy.services import account_close


@extend_schema(tags=["me"])
class AccountCloseView(StrictQueryMixin, APIView):
    # A password check: throttled like the other password endpoints.
    throttle_classes = (*api_settings.DEFAULT_THROTTLE_CLASSES, AuthIPThrottle)

    @extend_schema(
        summary="Close the account",
        description="Needs the password. Deactivates the account and revokes every token at once, removes the "
        "personal data invoices do not need, and schedules full anonymisation after the billing retention period. "
        "400 `wrong_password`; 409 `open_bookings` while a booking is under way.",
        request=AccountCloseSerializer,
        responses={200: AccountClosedSerializer, **errors(400, 401, 409, 429)},
    )
    def post(self, request):
        serializer = AccountCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        closure = account_close(user=request.user, password=serializer.validated_data["password"])
        return Response(AccountClosedSerializer(closure).data)
