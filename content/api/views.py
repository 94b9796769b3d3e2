"""The public site content: FAQs by topic, current announcements, testimonials. Responses are cached like the
catalog's (see diagnopet/api/caching.py; content/signals.py replaces the version when a row behind them changes)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.permissions import AllowAny

from content.api.serializers import AnnouncementSerializer, FaqTopicSerializer, TestimonialSerializer
from content.models import Announcement, FaqTopic, Testimonial
from content.signals import CONTENT_CACHE  # also connects the receivers that invalidate the cache
from diagnopet.api.caching import IF_NONE_MATCH, NOT_MODIFIED, PublicCacheMixin, cached_public_response
from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.schema import errors

# An announcement starts and ends at a time no row change marks: its cached answer lives a minute at most in the
# server cache (plus the clients' max-age), not the default five.
ANNOUNCEMENTS_TIMEOUT = 60


class ContentViewSet(PublicCacheMixin, StrictQueryMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [AllowAny]
    filter_backends: list = []


@extend_schema(tags=["content"])
class FaqViewSet(ContentViewSet):
    """Published questions grouped by topic, topics and questions in display order."""

    serializer_class = FaqTopicSerializer
    queryset = FaqTopic.objects.published()

    @extend_schema(
        summary="FAQs by topic",
        parameters=[IF_NONE_MATCH],
        responses={200: FaqTopicSerializer(many=True), **NOT_MODIFIED, **errors(404)},
    )
    @cached_public_response(CONTENT_CACHE)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["content"])
class AnnouncementViewSet(ContentViewSet):
    """Announcements running now (started, not ended), the earliest started first."""

    serializer_class = AnnouncementSerializer

    def get_queryset(self):
        return Announcement.objects.current().order_by("starts_at", "id")

    @extend_schema(
        summary="Current announcements",
        parameters=[IF_NONE_MATCH],
        responses={200: AnnouncementSerializer(many=True), **NOT_MODIFIED, **errors(404)},
    )
    @cached_public_response(CONTENT_CACHE, timeout=ANNOUNCEMENTS_TIMEOUT)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["content"])
class TestimonialViewSet(ContentViewSet):
    """Reviews staff chose to show, whose customers agreed to it."""

    serializer_class = TestimonialSerializer
    queryset = Testimonial.objects.shown()

    @extend_schema(
        summary="Testimonials",
        parameters=[IF_NONE_MATCH],
        responses={200: TestimonialSerializer(many=True), **NOT_MODIFIED, **errors(404)},
    )
    @cached_public_response(CONTENT_CACHE)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
