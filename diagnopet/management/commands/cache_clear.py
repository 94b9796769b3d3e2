from django.core.cache import cache
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Empty the default cache (CACHE_URL): the public catalog and clinic answers, the reference rows of quotes "
        "and bookings, their version tokens and the rate-limit counters. scripts/restore runs it after a restore: "
        "entries made from the replaced rows must not be served. The cache instance is the app's own (README "
        "'Scaling': the broker is on another Redis), so clearing it all removes nothing else's data."
    )

    def handle(self, *args, **options):
        cache.clear()
        self.stdout.write("cache cleared")
