from backoffice.tests.demo import demo_data  # noqa: F401  (the demo day's tests ask for it by name)
