from decimal import Decimal

import factory

from catalog.models import Analyte, LabTest, PackageComponent, ReferenceRange, TestCategory, TestTag


class TestCategoryFactory(factory.django.DjangoModelFactory):
    __test__ = False

    class Meta:
        model = TestCategory
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class TestTagFactory(factory.django.DjangoModelFactory):
    __test__ = False

    class Meta:
        model = TestTag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class LabTestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabTest

    code = factory.Sequence(lambda n: f"T-{n:04d}")
    name = factory.Sequence(lambda n: f"Lab test {n}")
    category = factory.SubFactory(TestCategoryFactory)
    species = factory.LazyFunction(lambda: ["dog", "cat"])
    price = Decimal("500.00")
    discounted_price = None
    sample_type = "Whole blood"
    tube_type = "EDTA (lavender)"
    sample_quantity_ml = Decimal("1.00")
    collection_instructions = "Invert gently."
    fasting_required = False
    tat_hours = 24
    is_active = True


class PackageComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PackageComponent

    package = factory.SubFactory(LabTestFactory, is_package=True)
    test = factory.SubFactory(LabTestFactory)
    position = factory.Sequence(lambda n: n + 1)


def package_of(components, **kwargs) -> LabTest:
    """A package (``is_package``) whose tests are ``components``, in that order."""
    package = LabTestFactory(is_package=True, **kwargs)
    PackageComponent.objects.bulk_create(
        PackageComponent(package=package, test=test, position=n) for n, test in enumerate(components, start=1)
    )
    return package


# One valid row of the catalog CSV (catalog/data/vet_tests.csv's columns), for the import and admin tests.
CSV_ROW = {
    "code": "HEM-CBC",
    "name": "Complete Blood Count (CBC)",
    "category": "Haematology",
    "tags": "routine;wellness",
    "species": "dog;cat",
    "sample_type": "Whole blood",
    "tube_type": "EDTA (lavender)",
    "sample_quantity_ml": "1.0",
    "fasting_required": "no",
    "tat_hours": "6",
    "price": "450.00",
    "discounted_price": "",
    "description": "Red and white cell counts.",
    "collection_instructions": "Invert gently.",
}


class AnalyteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Analyte

    test = factory.SubFactory(LabTestFactory)
    code = factory.Sequence(lambda n: f"A{n}")
    name = factory.Sequence(lambda n: f"Analyte {n}")
    unit = "g/dL"
    decimals = 1
    position = factory.Sequence(lambda n: n)


class ReferenceRangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferenceRange

    analyte = factory.SubFactory(AnalyteFactory)
    species = "dog"
    low = Decimal("12.0")
    high = Decimal("18.0")
    critical_low = Decimal("7.0")
    critical_high = Decimal("25.0")
