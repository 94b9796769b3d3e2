import datetime

import factory
from django.utils import timezone

from content.models import Announcement, Faq, FaqTopic, Testimonial
from reviews.tests.factories import ReviewFactory


class FaqTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqTopic

    name = factory.Sequence(lambda n: f"Topic {n}")


class FaqFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Faq

    topic = factory.SubFactory(FaqTopicFactory)
    question = factory.Sequence(lambda n: f"Question {n}?")
    answer = "An answer."


class AnnouncementFactory(factory.django.DjangoModelFactory):
    """Running now: started an hour ago, ends in a day."""

    class Meta:
        model = Announcement

    title = factory.Sequence(lambda n: f"Announcement {n}")
    body = "Details."
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))


class TestimonialFactory(factory.django.DjangoModelFactory):
    __test__ = False

    class Meta:
        model = Testimonial

    review = factory.SubFactory(ReviewFactory, testimonial_consent=True)
