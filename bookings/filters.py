import django_filters

from bookings.models import Booking, ResultValue, TestReport


class BookingFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Booking.Status.choices)
    pet = django_filters.NumberFilter(field_name="pet_id")
    date_from = django_filters.DateFilter(field_name="booking_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="booking_date", lookup_expr="lte")
    collection_type = django_filters.ChoiceFilter(choices=Booking._meta.get_field("collection_type").choices)

    class Meta:
        model = Booking
        fields = ["status", "pet", "date_from", "date_to", "collection_type"]


class ReportFilter(django_filters.FilterSet):
    pet = django_filters.NumberFilter(field_name="pet_id")
    booking = django_filters.NumberFilter(field_name="booking_id")

    class Meta:
        model = TestReport
        fields = ["pet", "booking"]


class ResultFilter(django_filters.FilterSet):
    analyte = django_filters.CharFilter(
        field_name="analyte__code", lookup_expr="iexact", help_text="An analyte's code, e.g. HCT (any case)."
    )

    class Meta:
        model = ResultValue
        fields = ["analyte"]
