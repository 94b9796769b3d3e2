import factory

from accounts.tests.factories import UserFactory
from pets.models import Pet


class PetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pet

    user = factory.SubFactory(UserFactory)
    name = factory.Faker("first_name")
    species = Pet.Species.DOG
    breed = "Labrador Retriever"
    sex = Pet.Sex.FEMALE
    weight_kg = "24.50"
