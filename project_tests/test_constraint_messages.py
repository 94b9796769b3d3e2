"""Every database rule a back-office form can run into speaks to the person at the form: no constraint of a model
registered in the admin keeps Django's default "Constraint “…” is violated." (unique rules over plain fields,
without a condition, already get Django's "… with this … already exists.")."""

from django.apps import apps
from django.contrib import admin
from django.db.models import UniqueConstraint


def test_no_admin_model_constraint_keeps_the_default_message():
    defaults = []
    for model in filter(admin.site.is_registered, apps.get_models()):
        for constraint in model._meta.constraints:
            plain_unique = (
                isinstance(constraint, UniqueConstraint)
                and constraint.fields
                and not constraint.condition
                and not constraint.expressions
            )
            default = constraint.violation_error_message == constraint.default_violation_error_message
            if default and not plain_unique:
                defaults.append(f"{model._meta.label}.{constraint.name}")
    assert defaults == []
