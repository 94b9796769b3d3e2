"""The lab's receive page: one input that a barcode scanner types into (it ends with Enter, which submits).

A tube's item code receives that tube; a booking code receives every collected tube of the booking
(``bookings.services.receiving``). Unknown codes and tubes already in are said on the page, never a 500.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from bookings.services.receiving import items_receive_by_scan
from diagnopet.errors import DomainError


class ScanForm(forms.Form):
    code = forms.CharField(
        label="Scan a tube",
        max_length=40,
        help_text="Scan the tube's barcode (or type its code, e.g. DP-7K3Q9X-01). A booking code (DP-7K3Q9X) "
        "receives every collected tube of that booking.",
        # The focus is back in the field after each scan, so the next tube can be scanned at once.
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "spellcheck": "false"}),
    )


def receive_scan_view(model_admin, request):
    """GET: the scan form. POST: receive what the code names, then the form again (empty, focused) with the result."""
    if not model_admin.has_lab_permission(request):
        raise PermissionDenied
    outcome = None
    form = ScanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = items_receive_by_scan(code=form.cleaned_data["code"], by=request.user)
        except DomainError as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
        else:
            _report(model_admin, request, outcome)
        form = ScanForm()  # empty for the next scan
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Receive samples by scan",
        "form": form,
        "outcome": outcome,
    }
    return TemplateResponse(request, "admin/bookings/bookingitem/receive.html", context)


def _report(model_admin, request, outcome) -> None:
    if outcome.received:
        codes = ", ".join(f"{item.code} ({item.test.code})" for item in outcome.received)
        model_admin.message_user(request, f"Received at the lab: {codes}.", messages.SUCCESS)
    if outcome.item is not None and not outcome.received:
        # One tube scanned and not received: say why (most often, it was scanned before).
        _item, why = outcome.left[0]
        model_admin.message_user(request, f"{outcome.item.code} was not received: {why}.", messages.WARNING)
    elif outcome.item is None and not outcome.received:
        model_admin.message_user(
            request, f"Booking {outcome.booking.code}: no collected tube is waiting to be received.", messages.WARNING
        )
