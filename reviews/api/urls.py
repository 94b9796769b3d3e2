from django.urls import path

from reviews.api.views import BookingReviewView

app_name = "reviews"
urlpatterns = [
    path("bookings/<int:pk>/review", BookingReviewView.as_view(), name="booking-review"),
]
