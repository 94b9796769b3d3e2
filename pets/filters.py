from django_filters import rest_framework as filters

from pets.models import Pet


class PetFilter(filters.FilterSet):
    species = filters.ChoiceFilter(choices=Pet.Species.choices)
    is_deceased = filters.BooleanFilter()

    class Meta:
        model = Pet
        fields = ["species", "is_deceased"]
