import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from privacy.models import AccountClosure


class AccountClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountClosure

    user = factory.SubFactory(UserFactory, is_active=False)
    closed_at = factory.LazyFunction(timezone.now)
    anonymise_after = factory.LazyAttribute(lambda o: o.closed_at + datetime.timedelta(days=8 * 365))
