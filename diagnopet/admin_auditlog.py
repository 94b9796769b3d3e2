"""django-auditlog's LogEntry admin, searchable with our user model, and fast on a log of millions of rows.

Its search fields name ``actor__first_name`` and ``actor__last_name``, which our User (phone login, ``full_name``,
``email``) does not have: any search of the log answered 500 (FieldError). The admin is re-registered here with
the same pages, columns, filters and permissions, searching the fields that exist. As a ``LargeTableAdmin`` it
counts from the planner's estimate and lists the dates without a scan of the log; its resource-type filter reads
the content types that have entries one index look-up each, where auditlog's reads every entry (``DISTINCT`` over
the log). Imported by ``diagnopet.audit.AuditConfig.ready``.
"""

from auditlog.admin import LogEntryAdmin as AuditlogLogEntryAdmin
from auditlog.filters import CIDFilter, ResourceTypeFilter
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef

from diagnopet.admin_base import LargeTableAdmin


class LoggedResourceTypeFilter(ResourceTypeFilter):
    """auditlog's filter (same parameter and choices): the types with at least one entry, by model name."""

    def lookups(self, request, model_admin):
        logged = LogEntry.objects.filter(content_type=OuterRef("pk"))
        types = ContentType.objects.filter(Exists(logged)).order_by("model")
        return list(types.values_list("pk", "model"))


class LogEntryAdmin(LargeTableAdmin, AuditlogLogEntryAdmin):
    list_filter = ["action", LoggedResourceTypeFilter, CIDFilter]
    # Not auditlog's "timestamp": its text depends on the session's time zone, so no index can serve it and every
    # search read the whole log; the date drill-down and the columns show the dates.
    search_fields = [
        "object_repr",
        "changes",
        "actor__phone",
        "actor__full_name",
        "actor__email",
    ]


admin.site.unregister(LogEntry)  # auditlog's, registered when its admin module was imported (above)
admin.site.register(LogEntry, LogEntryAdmin)
