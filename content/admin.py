"""Site content in the back-office (the clinic admin's): FAQs by topic, announcements, testimonials."""

from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from content.models import Announcement, Faq, FaqTopic, Testimonial
from diagnopet.admin_base import TIMESTAMPS, CalendarSafeAdmin


class FaqInline(admin.TabularInline):
    model = Faq
    extra = 1
    fields = ("display_order", "question", "answer", "is_published")


@admin.register(FaqTopic)
class FaqTopicAdmin(admin.ModelAdmin):
    list_display = ("name", "display_order", "is_published", "updated_at")
    list_editable = ("display_order", "is_published")
    search_fields = ("name",)
    fields = ("name", "display_order", "is_published", *TIMESTAMPS)
    readonly_fields = TIMESTAMPS
    inlines = [FaqInline]


@admin.register(Faq)
class FaqAdmin(admin.ModelAdmin):
    list_display = ("question", "topic", "display_order", "is_published", "updated_at")
    list_select_related = ("topic",)
    list_filter = ("topic", "is_published")
    search_fields = ("question", "answer")
    fields = ("topic", "question", "answer", "display_order", "is_published", *TIMESTAMPS)
    readonly_fields = TIMESTAMPS


class RunningFilter(admin.SimpleListFilter):
    title = "running"
    parameter_name = "running"

    def lookups(self, request, model_admin):
        return [("now", "Now"), ("upcoming", "Upcoming"), ("ended", "Ended")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "now":
            return queryset.filter(Q(starts_at__lte=now, ends_at__gt=now))
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gt=now)
        if self.value() == "ended":
            return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(Announcement)
class AnnouncementAdmin(CalendarSafeAdmin, admin.ModelAdmin):
    list_display = ("title", "kind", "starts_at", "ends_at", "is_published")
    list_filter = (RunningFilter, "kind", "is_published")
    search_fields = ("title", "body")
    date_hierarchy = "starts_at"
    fields = ("title", "body", "kind", "link", "starts_at", "ends_at", "is_published", *TIMESTAMPS)
    readonly_fields = TIMESTAMPS
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Testimonial)
class TestimonialAdmin(admin.ModelAdmin):
    """Pick a review (only those whose customer agreed and wrote a comment are offered) to show on the site."""

    list_display = ("review", "first_name", "pet_species", "rating", "consent", "display_order", "is_published")
    list_select_related = ("review__booking__user", "review__booking__pet")
    list_filter = ("is_published", "review__testimonial_consent")
    search_fields = ("review__comment", "review__booking__code")
    autocomplete_fields = ("review",)
    fields = ("review", "comment", "display_order", "is_published", *TIMESTAMPS)
    readonly_fields = ("comment", *TIMESTAMPS)

    @admin.display(description="Pet")
    def pet_species(self, testimonial: Testimonial) -> str:
        return testimonial.review.booking.pet.get_species_display()

    @admin.display(description="Rating")
    def rating(self, testimonial: Testimonial) -> int:
        return testimonial.review.visit_rating

    @admin.display(description="Consent", boolean=True)
    def consent(self, testimonial: Testimonial) -> bool:
        """Withdrawn consent hides the testimonial from the site, whatever its published flag."""
        return testimonial.review.testimonial_consent

    @admin.display(description="Comment")
    def comment(self, testimonial: Testimonial) -> str:
        return testimonial.review.comment if testimonial.pk else ""
