"""django-auditlog's LogEntry admin, searchable with our user model.

Its search fields name ``actor__first_name`` and ``actor__last_name``, which our User (phone login, ``full_name``,
``email``) does not have: any search of the log answered 500 (FieldError). The admin is re-registered here with
the same pages, columns, filters and permissions, searching the fields that exist. Imported by
``diagnopet.audit.AuditConfig.ready``.
"""

from auditlog.admin import LogEntryAdmin as AuditlogLogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin


class LogEntryAdmin(AuditlogLogEntryAdmin):
    search_fields = [
        "timestamp",
        "object_repr",
        "changes",
        "actor__phone",
        "actor__full_name",
        "actor__email",
    ]


admin.site.unregister(LogEntry)  # auditlog's, registered when its admin module was imported (above)
admin.site.register(LogEntry, LogEntryAdmin)
