"""What several apps' admins share."""

import functools
import json
import operator
from contextlib import contextmanager

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import connections, router
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from diagnopet.models import MoneyField
from diagnopet.money import format_money

# Every model's timestamps (diagnopet.models.TimeStampedModel), shown read-only.
TIMESTAMPS = ("created_at", "updated_at")
# The name of the intermediate page's submit button: an action runs when the POST carries it.
APPLY = "apply"


# Up to this many rows a changelist shows the exact count; beyond, the planner's estimate (EstimatedCountPaginator).
EXACT_COUNT_LIMIT = 10_000
# A search word matching at most this many rows filters the list by their primary keys (LargeTableAdmin).
SEARCH_MATCHES_LISTED = 1_000
SEARCH_PREFIXES = {"^": "istartswith", "=": "iexact", "@": "search"}


class EstimatedCountPaginator(Paginator):
    """Counts the rows exactly up to ``EXACT_COUNT_LIMIT`` (``COUNT(*)`` over at most that many), and beyond that
    takes PostgreSQL's estimate (``EXPLAIN``): "about 860,000 bookings" costs one plan instead of a scan of the
    860,000 rows on every page. Only the page links past the real end can be off."""

    @cached_property
    def count(self) -> int:
        rows = self.object_list.order_by()
        exact = rows[: EXACT_COUNT_LIMIT + 1].count()
        if exact <= EXACT_COUNT_LIMIT:
            return exact
        if connections[rows.db].vendor != "postgresql":  # the estimate is PostgreSQL's EXPLAIN
            return rows.count()
        plan = json.loads(rows.explain(format="json"))
        return max(exact, int(plan[0]["Plan"]["Plan Rows"]))


def search_lookup(model, field_name: str) -> str:
    """The lookup Django's admin search makes of a ``search_fields`` entry: ``^`` istartswith, ``=`` iexact,
    ``@`` search, a path ending in a lookup as it is, else icontains."""
    if field_name[:1] in SEARCH_PREFIXES:
        return f"{field_name[1:]}__{SEARCH_PREFIXES[field_name[0]]}"
    try:
        get_fields_from_path(model, field_name)
    except FieldDoesNotExist:
        return field_name  # ends in a lookup ("user__phone__exact")
    return f"{field_name}__icontains"


def search_condition(model, lookup: str, bit: str) -> Q:
    """One search field's condition on ``model``'s own columns, for a word that matches many rows (a staff
    user's phone: 125,000 audit-log entries). A field of a related row (``actor__phone``) is matched in its own
    table first and becomes its foreign key (``actor_id IN (7)``); a field of this table matching few rows
    becomes their keys. The changelist can then walk its ordering index and stop after a page, where ``pk IN
    (every matching row)`` made PostgreSQL collect and sort them all."""
    name, _separator, rest = lookup.partition("__")
    field = model._meta.get_field(name)
    if rest and field.is_relation and field.concrete and (field.many_to_one or field.one_to_one):
        related = field.related_model._default_manager.filter(**{rest: bit}).values_list("pk", flat=True)
        keys = list(related[: SEARCH_MATCHES_LISTED + 1])
        return Q(**{f"{name}__in": keys if len(keys) <= SEARCH_MATCHES_LISTED else related})
    matching = model._default_manager.filter(**{lookup: bit}).values_list("pk", flat=True)
    keys = list(matching[: SEARCH_MATCHES_LISTED + 1])
    return Q(pk__in=keys) if len(keys) <= SEARCH_MATCHES_LISTED else Q(**{lookup: bit})


@contextmanager
def custom_plans(using: str):
    """PostgreSQL plans each statement run inside for its own parameter values (``plan_cache_mode``).

    The connection prepares a statement run five times (settings: ``DATABASE_PREPARED_STATEMENTS``), and PostgreSQL
    then keeps one generic plan, made without the values, when it looks no costlier. For a changelist's rare-value
    filter that plan is the wrong one: it guesses that ``collection_pin_gap_km > $1`` keeps a third of the rows and
    walks the million bookings' date index for the date drill-down, where the plan made for ``> 1.0`` reads the
    few far pins from their index (3.2 s against 0.1 ms at 1M bookings, bench/README.md). A changelist's dozen
    statements are planned in a few milliseconds; the API keeps its generic plans."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET plan_cache_mode")


# The years the admin's date drill-down can compute: Django asks for the next day, month or year of the one chosen
# (none after 9999) and, with time zones, for local midnight in UTC (none before year 1).
DRILLDOWN_YEARS = range(2, 9999)


class CalendarSafeChangeList(ChangeList):
    """Django's changelist, with a ``date_hierarchy`` year it cannot compute refused as a bad filter (back to the list
    with ``?e=1``) instead of an OverflowError: such a year is one click away once a row is dated in it."""

    def get_filters(self, request):
        if self.date_hierarchy:
            years = request.GET.getlist(f"{self.date_hierarchy}__year")
            try:
                year = int(years[-1]) if years else None
            except ValueError:
                year = None  # Django refuses it itself
            if year is not None and year not in DRILLDOWN_YEARS:
                raise IncorrectLookupParameters(f"No date drill-down for the year {year}.")
        return super().get_filters(request)


class CalendarSafeAdmin:
    """Mixin for every ModelAdmin with a ``date_hierarchy`` (``CalendarSafeChangeList``)."""

    def get_changelist(self, request, **kwargs):
        return CalendarSafeChangeList


class LargeTableAdmin(CalendarSafeAdmin):
    """For the admin of a table that grows with the business (bookings, items, bills, users…):

    - the changelist counts the rows once (no second ``COUNT(*)`` of the whole table), exactly when they are few
      and from the planner's estimate when they are many (``EstimatedCountPaginator``);
    - its ``date_hierarchy`` lists every period from the first row to the last, read from two index look-ups,
      instead of Django's ``SELECT DISTINCT date_trunc(…)`` over every row (diagnopet/templatetags/admin_dates.py);
    - a search matches what Django's would (each word in one of ``search_fields``), asked one field at a time:
      ``pk IN (rows matching field 1 UNION ALL rows matching field 2 …)``, so that each field can use its own
      index (the trigram indexes on codes, phones and names). Django's single ``WHERE a LIKE … OR b.x LIKE …``
      across joined tables can use none and reads every row. A word matching more than ``SEARCH_MATCHES_LISTED``
      rows is matched field by field on this table's own columns (``search_condition``: a related row's field
      becomes its foreign key), so the page still walks the ordering index and stops after a page;
    - its statements are planned for their own filter values (``custom_plans``), not with a prepared statement's
      generic plan, so that a rare-value filter reads its few rows from its index;
    - a page holds 50 rows (Django's default is 100): drawing 100 rows' cells alone took 110–150 ms at 1M bookings,
      more than the page's SQL, and 50 rows also fit a collector's phone better.

    Measured in bench/README.md (``bench/admin_pages``)."""

    show_full_result_count = False
    list_per_page = 50
    date_hierarchy_contiguous = True
    paginator = EstimatedCountPaginator

    def changelist_view(self, request, extra_context=None):
        with custom_plans(router.db_for_read(self.model)):
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):  # a TemplateResponse reads its rows and dates while rendering
                response.render()
        return response

    def action_checkbox(self, obj):
        """Django's row checkbox (``ModelAdmin.action_checkbox``), the same markup written directly: rendered through
        the form widget's three templates it took a third of a bookings page's CPU (32 of 88 ms for 50 rows,
        bench/README.md). A test compares the two, so that a Django upgrade that changes it fails loudly."""
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    def get_search_results(self, request, queryset, search_term):
        search_fields = self.get_search_fields(request)
        if not (search_fields and search_term):
            return queryset, False
        lookups = [search_lookup(self.model, str(name)) for name in search_fields]
        rows = self.model._default_manager.order_by()
        for bit in smart_split(search_term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            first, *others = (rows.filter(**{lookup: bit}).values_list("pk", flat=True) for lookup in lookups)
            matching = first.union(*others, all=True) if others else first
            # A few matches (a code, a phone) are read first and listed: the planner then knows there are few
            # (it guesses thousands for a LIKE on a small table such as the tests, and scans the big one).
            found = list(matching[: SEARCH_MATCHES_LISTED + 1])
            if len(found) <= SEARCH_MATCHES_LISTED:
                queryset = queryset.filter(pk__in=found)
            else:
                conditions = (search_condition(self.model, lookup, bit) for lookup in lookups)
                queryset = queryset.filter(functools.reduce(operator.or_, conditions))
        return queryset, False  # "pk IN" and conditions on this table's own columns never repeat a row


class ReadOnlyModelAdmin(CalendarSafeAdmin, admin.ModelAdmin):
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


def done_message(names: list[str], *, one: str, singular: str, plural: str, listed: bool = False) -> str | None:
    """The success message of an action over several rows, as staff say it: the object named when there is one
    (``one``, with ``{name}``: "INV-2026-000123 invoiced."), else counted in words (``singular``/``plural`` with
    ``%(count)d``: "3 bills invoiced", then the names when ``listed``); None when nothing was done."""
    if not names:
        return None
    if len(names) == 1:
        return one.format(name=names[0])
    text = ngettext(singular, plural, len(names)) % {"count": len(names)}
    return f"{text}: {', '.join(names)}." if listed else f"{text}."


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


# --- Money, written as money --------------------------------------------------------------------------------


@functools.cache
def money_column(model, name: str):
    """A list column / read-only field showing ``model``'s money field ``name`` as ``₹1,250.00``: Django's admin
    writes a Decimal as ``1250.00``. Named like the field, so the page's ``field-<name>`` classes stay; sorts by
    the column. One function per field (cached) so that a fieldset and the read-only list name the same one."""
    field = model._meta.get_field(name)

    def show(obj):
        return format_money(getattr(obj, name))

    show.__name__ = name
    return admin.display(description=field.verbose_name, ordering=name)(show)


def _money_names(model) -> set[str]:
    return {field.name for field in model._meta.get_fields() if isinstance(field, MoneyField)}


def _with_money(model, names, only=None):
    """``names`` (a list display, a read-only list, a fieldset's fields) with money fields as money columns;
    ``only`` limits it to those names (the read-only ones: an editable amount stays an input)."""
    money = _money_names(model) if only is None else _money_names(model) & set(only)
    if not money:
        return names
    out = []
    for name in names:
        if isinstance(name, (list, tuple)):  # several fields on one line
            out.append(type(name)(_with_money(model, name, only)))
        else:
            out.append(money_column(model, name) if isinstance(name, str) and name in money else name)
    return type(names)(out) if isinstance(names, tuple) else out


class MoneyInline:
    """An inline's read-only money fields as money (see ``MoneyAdmin``)."""

    def get_readonly_fields(self, request, obj=None):
        return _with_money(self.model, super().get_readonly_fields(request, obj))

    def read_only_names(self, request, obj=None) -> list[str] | None:
        """The fields the page shows read-only (None: all of them), whose money is written as money."""
        return [n for n in super().get_readonly_fields(request, obj) if isinstance(n, str)]

    def get_fieldsets(self, request, obj=None):
        readonly = self.read_only_names(request, obj)
        return [
            (title, {**options, "fields": _with_money(self.model, options["fields"], only=readonly)})
            for title, options in super().get_fieldsets(request, obj)
        ]


class MoneyAdmin(MoneyInline):
    """Every ModelAdmin of the back-office (``accounts.admin_site.StaffAdminSite.register`` puts it first): money
    fields (``diagnopet.models.MoneyField``) in the list and in read-only fields are written with the currency
    symbol and Indian digit grouping (``diagnopet.money.format_money``), in the inlines too. Editable amounts
    stay inputs, and list_editable columns stay fields."""

    def read_only_names(self, request, obj=None) -> list[str] | None:
        # A page the user may only view shows every field read-only (Django's change view), money included.
        if obj is not None and not self.has_change_permission(request, obj):
            return None
        return super().read_only_names(request, obj)

    def get_list_display(self, request):
        names = super().get_list_display(request)
        editable = set(self.list_editable or ())
        return _with_money(self.model, names, only=_money_names(self.model) - editable)

    def get_inlines(self, request, obj):
        return [_money_inline(inline) for inline in super().get_inlines(request, obj)]


@functools.cache
def _money_inline(inline_class):
    if issubclass(inline_class, MoneyInline):
        return inline_class
    return type(inline_class.__name__, (MoneyInline, inline_class), {"__module__": inline_class.__module__})


# --- Autocomplete pickers that survive a forged id ----------------------------------------------------------------


class _ValidIdsOnly:
    """Django's autocomplete widget shows a refused form again by looking up the ids it was sent; an id that is not
    a valid key (``x``, a NUL) makes that look-up raise, and the page is a 500 instead of the form's error. Such
    ids are left out of the look-up (the field's own validation has already said what is wrong)."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        key = remote.model._meta.get_field(getattr(remote, "field_name", None) or remote.model._meta.pk.name)
        return super().optgroups(name, [v for v in value if _is_key(key, v)], attr)


def _is_key(field, value) -> bool:
    if "\x00" in str(value):
        return False
    try:
        field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return False
    return True


class ValidIdAutocompleteSelect(_ValidIdsOnly, AutocompleteSelect):
    pass


class ValidIdAutocompleteSelectMultiple(_ValidIdsOnly, AutocompleteSelectMultiple):
    pass


class ValidIdAutocompleteAdmin:
    """Every back-office ModelAdmin (``accounts.admin_site.StaffAdminSite.register``): its ``autocomplete_fields``
    use the widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ValidIdAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ValidIdAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
