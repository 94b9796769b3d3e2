from rest_framework import serializers

from content.models import Announcement, Faq, FaqTopic, Testimonial
from diagnopet.api.serializers import ModelSerializer
from pets.models import Pet


class FaqSerializer(ModelSerializer):
    class Meta:
        model = Faq
        fields = ["id", "question", "answer"]


class FaqTopicSerializer(ModelSerializer):
    faqs = FaqSerializer(many=True, read_only=True, source="published_faqs", help_text="In display order.")

    class Meta:
        model = FaqTopic
        fields = ["id", "name", "faqs"]


class AnnouncementSerializer(ModelSerializer):
    class Meta:
        model = Announcement
        fields = ["id", "title", "body", "kind", "link", "starts_at", "ends_at"]


class TestimonialSerializer(ModelSerializer):
    """Only the customer's first name and the pet's species: nothing else about who wrote it."""

    first_name = serializers.CharField(read_only=True, help_text="The customer's first name.")
    pet_species = serializers.ChoiceField(choices=Pet.Species.choices, source="review.booking.pet.species")
    rating = serializers.IntegerField(source="review.visit_rating", help_text="The visit's rating, 1 to 5.")
    comment = serializers.CharField(source="review.comment")

    class Meta:
        model = Testimonial
        fields = ["id", "first_name", "pet_species", "rating", "comment"]
