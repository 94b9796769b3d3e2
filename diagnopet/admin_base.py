"""What several apps' admins share."""

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse

# Every model's timestamps (diagnopet.models.TimeStampedModel), shown read-only.
TIMESTAMPS = ("created_at", "updated_at")
# The name of the intermediate page's submit button: an action runs when the POST carries it.
APPLY = "apply"


class LargeTableAdmin:
    """For the admin of a table that grows with the business (bookings, items, bills, users…): its changelist
    counts the rows once (the filtered count; no second ``COUNT(*)`` of the whole table), and its ``date_hierarchy``
    lists every period from the first row to the last, read from two index look-ups, instead of Django's ``SELECT
    DISTINCT date_trunc(…)`` over every row (diagnopet/templatetags/admin_dates.py; measured in bench/README.md)."""

    show_full_result_count = False
    date_hierarchy_contiguous = True


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """A record only the business flows write (a ledger, a counter, a redemption): listed and shown, never added,
    changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows a parent page shows but only the business flows write (items, reports, payments)."""

    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def action_form(form_class, request, **kwargs) -> forms.Form:
    """The action's form, bound when the intermediate page was submitted (the page posts ``apply``)."""
    data = request.POST if APPLY in request.POST else None
    return form_class(data, **kwargs)


def action_form_page(
    model_admin, request, objects, *, form, action: str, title: str, template="admin/action_form.html", **extra
) -> TemplateResponse:
    """The page between choosing an action and running it: the form, and the selected rows carried along.
    ``template`` may extend ``admin/action_form.html`` (its ``intro`` block); ``extra`` goes to the context
    (``submit_label`` names the button)."""
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "form": form,
        "action": action,
        "objects": list(objects),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "apply": APPLY,
        "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        **extra,
    }
    return TemplateResponse(request, template, context)
