"""Back-office catalog CSV import (preview, then confirm) and export, on ``catalog.services.catalog_import_csv``.

Between the preview and the confirmation the uploaded file's text is kept in the user's session (at most
``MAX_UPLOAD_BYTES``), with its SHA-256 digest; the confirm form sends the digest back, so the file imported is the
one previewed, also when several tabs are open. Confirming runs the importer again (it re-validates against the
catalog as it is then), this time writing.
"""

import csv
import hashlib
import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from catalog.models import LabTest
from catalog.services import CSV_COLUMNS, catalog_import_csv

MAX_UPLOAD_BYTES = 1024 * 1024
SESSION_KEY = "catalog_import"


class ImportForm(forms.Form):
    file = forms.FileField(label="Catalog CSV", help_text="UTF-8 CSV with the columns of the export, at most 1 MB.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB; split it into several imports.")
        return upload


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def catalog_import_view(request, model_admin: admin.ModelAdmin):
    """GET: the upload form. POST with a file: a dry run and its preview. POST ``confirm``: the real import."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    changelist = reverse("admin:catalog_labtest_changelist")
    form, result, digest = ImportForm(), None, None

    if request.method == "POST" and "confirm" in request.POST:
        stored = request.session.get(SESSION_KEY)
        if not stored or stored["digest"] != request.POST.get("digest"):
            model_admin.message_user(request, "That preview has expired; upload the file again.", messages.ERROR)
            return HttpResponseRedirect(request.path)
        data = stored["text"].encode("utf-8")
        result = catalog_import_csv(file=io.BytesIO(data), dry_run=False)
        if result.ok:
            del request.session[SESSION_KEY]
            model_admin.message_user(
                request,
                f"Catalog imported: {result.created} created, {result.updated} updated, {result.unchanged} unchanged.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(changelist)
        # The catalog changed since the preview in a way that makes the file invalid: nothing was written.
        digest = stored["digest"]
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data["file"].read()
            result = catalog_import_csv(file=io.BytesIO(data), dry_run=True)
            if result.ok:
                # The importer decoded it, so this cannot fail; keep the text (a str is what a session can hold).
                text = data.decode("utf-8-sig")
                digest = _digest(data)
                request.session[SESSION_KEY] = {"digest": digest, "text": text}
            else:
                request.session.pop(SESSION_KEY, None)

    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Import tests from CSV",
        "opts": model_admin.model._meta,
        "form": form,
        "result": result,
        "digest": digest,
        "columns": CSV_COLUMNS,
        "changelist_url": changelist,
    }
    return TemplateResponse(request, "admin/catalog/labtest/import.html", context)


def _money(value) -> str:
    return "" if value is None else f"{value:.2f}"


def catalog_export_row(test: LabTest) -> dict:
    """One test as a row of the import format (``catalog/data/vet_tests.csv``)."""
    return {
        "code": test.code,
        "name": test.name,
        "category": test.category.name,
        "tags": ";".join(sorted((tag.name for tag in test.tags.all()), key=str.lower)),
        "species": ";".join(test.species or []),
        "sample_type": test.sample_type,
        "tube_type": test.tube_type,
        # Empty (not measured in ml) is written as 0, which the importer reads back as empty.
        "sample_quantity_ml": _money(test.sample_quantity_ml) if test.sample_quantity_ml is not None else "0",
        "fasting_required": "yes" if test.fasting_required else "no",
        "tat_hours": "" if test.tat_hours is None else str(test.tat_hours),
        "price": _money(test.price),
        "discounted_price": _money(test.discounted_price),
        "description": test.description,
        "collection_instructions": test.collection_instructions,
    }


def catalog_export_view(request, model_admin: admin.ModelAdmin):
    """Every test (active or not) as CSV in exactly the import format, so exporting then importing changes nothing."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    # Two queries whatever the size: tests with their category, then every test's tags.
    tests = LabTest.objects.select_related("category").prefetch_related("tags").order_by("code")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="catalog.csv"'
    writer = csv.DictWriter(response, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(catalog_export_row(test) for test in tests)
    return response
