"""Form fields the back-office shares: what staff type, taken as they mean it."""

from django import forms


class CodeField(forms.CharField):
    """A code staff type (coupon codes, code prefixes): surrounding spaces dropped and upper-cased, so ``" diwali50 "``
    is stored as ``DIWALI50`` and matches how codes are printed and looked up."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.upper() if value else value


def duplicate_ignoring_case(form: forms.ModelForm, field: str, value: str) -> bool:
    """Whether another row than the form's own already holds ``value`` in ``field``, whatever the case: the check a
    case-insensitive unique constraint (``UniqueConstraint(Upper(field))``) makes, run before saving so the form can
    name the field."""
    rows = type(form.instance)._default_manager.filter(**{f"{field}__iexact": value})
    if form.instance.pk is not None:
        rows = rows.exclude(pk=form.instance.pk)
    return rows.exists()
