"""What the booking-side admin pages share: the audit history page and the overdue badge."""

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib.admin.utils import unquote
from django.http import Http404
from django.utils.safestring import mark_safe

from bookings.models import BookingItem
from bookings.querysets import item_is_overdue


class AuditHistory(AuditlogHistoryAdminMixin):
    """django-auditlog's history page and changelist link; an object outside the user's rows answers 404."""

    show_auditlog_history_link = True

    def auditlog_history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("Not found.")
        return super().auditlog_history_view(request, object_id, extra_context)


def overdue_badge(item: BookingItem, now) -> str:
    return mark_safe('<strong style="color:#ba2121">overdue</strong>') if item_is_overdue(item, now) else ""  # noqa: S308
