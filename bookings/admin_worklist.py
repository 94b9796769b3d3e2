"""The lab technician's worklist (their landing page) and the per-sample reject page.

One page with what the lab has to do, in the order it works: samples to receive, samples to report on (received or
processing, no report uploaded yet), reports to verify (a colleague's only: the uploader is shown, one's own are
counted apart), and overdue samples (due time passed). Each list shows the pet, its species, the sample type, the
tube and the time that matters, and offers the next step: receive and start processing here (POST, through the
lifecycle services), upload a report or reject a sample on their own pages, open a report to verify it (verification
is on the report's page only, see ``bookings.admin.reports``).

A fixed number of queries whatever the rows: two per list (its first rows and its count).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from accounts.roles import staff_is_collector
from bookings import admin_views
from bookings.models import BookingItem, TestReport
from bookings.querysets import item_overdue_q
from bookings.services import item_receive, item_reject, item_start_processing
from bookings.states import ITEM_REPORTABLE
from diagnopet.errors import DomainError

SHOWN = 50  # rows per list; the count and the link to the full list say how many more

It, R = BookingItem.Status, TestReport.Status


@dataclass
class WorkList:
    key: str
    title: str
    rows: list
    count: int
    url: str  # the changelist that lists them all

    @property
    def more(self) -> int:
        return max(self.count - len(self.rows), 0)


def _items(model_admin, request) -> QuerySet:
    return model_admin.get_queryset(request).select_related("booking__pet", "test")


def _changelist(model, **params) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist") + ("?" + urlencode(params) if params else "")


def _list(key: str, title: str, queryset: QuerySet, url: str) -> WorkList:
    return WorkList(key=key, title=title, rows=list(queryset[:SHOWN]), count=queryset.count(), url=url)


def worklist_lists(model_admin, request) -> list[WorkList]:
    """The four lists of the worklist, scoped by ``model_admin.get_queryset``."""
    now = timezone.now()
    items = _items(model_admin, request)
    reported = TestReport.objects.filter(booking_item=OuterRef("pk"), is_current=True).exclude(status=R.PENDING)
    verify = (
        TestReport.objects.filter(status=R.GENERATED, is_current=True)
        .exclude(uploaded_by=request.user)
        .select_related("booking", "pet", "test", "uploaded_by", "booking_item")
        .order_by("generated_at", "id")
    )
    return [
        _list(
            "receive",
            "To receive",
            items.filter(status=It.COLLECTED).order_by("collected_at", "id"),
            _changelist(BookingItem, status=It.COLLECTED),
        ),
        _list(
            "enter",
            "To enter results",
            items.filter(status__in=ITEM_REPORTABLE).exclude(Exists(reported)).order_by("due_at", "received_at", "id"),
            _changelist(BookingItem, status__in=",".join(sorted(ITEM_REPORTABLE))),
        ),
        _list(
            "verify",
            "To verify (uploaded by a colleague)",
            verify,
            _changelist(TestReport, status=R.GENERATED, is_current__exact=1),
        ),
        _list(
            "overdue",
            "Overdue (due time passed)",
            items.filter(item_overdue_q(now)).order_by("due_at", "id"),
            _changelist(BookingItem, overdue="yes"),
        ),
    ]


def _worklist_url() -> str:
    return reverse("admin:bookings_bookingitem_worklist")


def _allowed(model_admin, request) -> None:
    if not model_admin.has_view_permission(request) or staff_is_collector(request.user):
        raise PermissionDenied


STEPS = {
    "receive": (item_receive, "received at the lab"),
    "process": (item_start_processing, "moved to processing"),
}


def worklist_view(model_admin, request):
    """GET: the worklist. POST ``step`` (receive | process) and ``item``: that step for one sample, then back."""
    _allowed(model_admin, request)
    if request.method == "POST":
        if not model_admin.has_lab_permission(request):
            raise PermissionDenied
        step = STEPS.get(request.POST.get("step", ""))
        item_id = request.POST.get("item", "")
        # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
        is_id = item_id.isascii() and item_id.isdigit()
        item = _items(model_admin, request).filter(pk=int(item_id)).first() if is_id else None
        if step is None or item is None:
            raise Http404("No such sample or step.")
        service, done = step
        try:
            service(item=item, by=request.user)
        except DomainError as exc:
            model_admin.message_user(request, f"{item.code}: {exc.message}", messages.ERROR)
        else:
            model_admin.message_user(request, f"{item.code} ({item.test.name}): {done}.", messages.SUCCESS)
        return HttpResponseRedirect(_worklist_url())
    lists = worklist_lists(model_admin, request)
    own_waiting = TestReport.objects.filter(status=R.GENERATED, is_current=True, uploaded_by=request.user).count()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Lab worklist",
        "opts": model_admin.model._meta,
        "lists": lists,
        "own_waiting": own_waiting,
        "own_waiting_url": _changelist(TestReport, status=R.GENERATED, is_current__exact=1),
        "may_act": model_admin.has_lab_permission(request),
        "may_upload": request.user.has_perm("bookings.add_testreport"),
        "reportable": sorted(ITEM_REPORTABLE),
        "now": timezone.now(),
    }
    return TemplateResponse(request, "admin/bookings/bookingitem/worklist.html", context)


class RejectItemForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "—"), *BookingItem.RejectionReason.choices])
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)


def item_reject_view(model_admin, request, object_id):
    """Reject one sample in the lab (haemolysed, clotted, …): the reason, then ``item_reject`` (a free re-collection
    booking); back to the worklist with the re-collection's code."""
    if not model_admin.has_lab_permission(request):
        raise PermissionDenied
    item = model_admin.get_object(request, object_id)
    if item is None:
        raise Http404("No sample with this id.")
    form = RejectItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recollection = item_reject(
                item=item, by=request.user, reason=form.cleaned_data["reason"], notes=form.cleaned_data["notes"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            model_admin.message_user(
                request,
                f"Sample {item.code} ({item.test.name}) rejected; free re-collection booking {recollection.code}.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(_worklist_url())
    return admin_views.object_form_page(
        model_admin,
        request,
        item,
        form=form,
        title=f"Reject the sample {item.code} ({item.test.name}, {item.booking.pet.name})",
    )
