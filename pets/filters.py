from django_filters import rest_framework as filters

from diagnopet.api.filters import StrictBooleanFilter
from pets.models import Pet


class PetFilter(filters.FilterSet):
    species = filters.ChoiceFilter(choices=Pet.Species.choices)
    is_deceased = StrictBooleanFilter()

    class Meta:
        model = Pet
        fields = ["species", "is_deceased"]
