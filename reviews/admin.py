"""Reviews in the back-office: the list for the clinic (filters by collector, rating, month), the averages per
collector and per month (``summary/``), and a collector's own average ("My rating", without the reviews)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from diagnopet.admin_base import TIMESTAMPS, LargeTableAdmin, ReadOnlyModelAdmin
from reviews.models import CollectorRating, Review


@admin.register(Review)
class ReviewAdmin(LargeTableAdmin, ReadOnlyModelAdmin):
    """Customers' words: staff read them, never change them."""

    list_display = (
        "booking",
        "visit_rating",
        "collector_rating",
        "collector",
        "testimonial_consent",
        "customer",
        "created_at",
    )
    list_select_related = ("booking__user", "collector")
    list_filter = (
        "visit_rating",
        "collector_rating",
        ("collector", admin.RelatedOnlyFieldListFilter),
        "testimonial_consent",
    )
    date_hierarchy = "created_at"
    search_fields = ("booking__code", "comment")
    fields = (
        "booking",
        "collector",
        "visit_rating",
        "collector_rating",
        "comment",
        "testimonial_consent",
        *TIMESTAMPS,
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # A review's name reads its booking: the testimonial form's picker (autocomplete) lists 20 of them. The
        # changelist applies list_select_related only to a queryset that selects nothing yet: name them all here.
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description="Customer", ordering="booking__user__full_name")
    def customer(self, review: Review) -> str:
        return str(review.booking.user)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"show_review_summary": True, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        summary = self.admin_site.admin_view(self.summary_view)
        # Before the stock URLs: "<path:object_id>/" would take "summary/" for an object id.
        return [path("summary/", summary, name="reviews_review_summary"), *super().get_urls()]

    def summary_view(self, request):
        """Averages over every review, per collector and per month: three aggregate queries whatever the volume."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        reviews = Review.objects.all()
        context = {
            **self.admin_site.each_context(request),
            "title": "Review averages",
            "opts": self.model._meta,
            "overall": reviews.averages(),
            "by_collector": list(reviews.averages_by_collector()),
            "by_month": list(reviews.averages_by_month()),
        }
        return TemplateResponse(request, "admin/reviews/review/summary.html", context)


@admin.register(CollectorRating)
class CollectorRatingAdmin(ReadOnlyModelAdmin):
    """The signed-in collector's own average collector rating, overall and per month: figures only, never the
    reviews (so not who rated). Opened by ``reviews.view_collectorrating`` (the collector role)."""

    def has_view_permission(self, request, obj=None):
        # No page per review: who rated stays hidden.
        return obj is None and super().has_view_permission(request)

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        mine = Review.objects.filter(collector=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": "My rating",
            "opts": self.model._meta,
            "overall": mine.averages(),
            "by_month": list(mine.averages_by_month()),
        }
        return TemplateResponse(request, "admin/reviews/collectorrating/mine.html", context)
