"""Documents: downloads under meaningful names, and document series (/documents/)."""

import mimetypes
import os

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.decorators import method_decorator
from django.views.generic import DetailView

from common.metadata import page_meta
from common.page_cache import add_keys, has_session, public_page
from common.storage import RandomNameStorage

from . import surrogate_keys as keys
from .models import Document, DocumentSeries

# Spreadsheets and Word files are saved, not opened in the browser.
ATTACHMENT_TYPES = {"XLSX", "XLS", "DOCX", "DOC", "CSV"}
CONTENT_TYPES = {
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "DOCX": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "XLS": "application/vnd.ms-excel",
    "DOC": "application/msword",
    "CSV": "text/csv",
    "PDF": "application/pdf",
}
# Browsers and shared caches may keep a download this long; saving its
# document or item purges shared caches (news-document-<id>, news-item-<id>).
DOWNLOAD_MAX_AGE = 300
EDITOR_IMAGE_MAX_AGE = 24 * 60 * 60


def _documents(request):
    """Documents the requester may download: the public's, or every one for
    staff who may preview items."""
    documents = Document.objects.select_related("series", "item")
    if has_session(request) and request.user.has_perm("news.view_newsitem"):
        return documents
    return documents.downloadable()


def _file_response(request, document):
    extension = document.extension
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file of this document is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=extension in ATTACHMENT_TYPES,
        filename=document.download_name,
        content_type=CONTENT_TYPES.get(extension)
        or mimetypes.guess_type(document.download_name)[0]
        or "application/octet-stream",
    )
    if document.item.is_online:
        patch_cache_control(response, public=True, max_age=DOWNLOAD_MAX_AGE)
        add_keys(request, keys.document(document.pk), keys.item(document.item_id))
    else:  # a staff preview
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@public_page(store=False)
def download(request, pk):
    """A document that is not part of a series, by its id."""
    document = get_object_or_404(_documents(request), pk=pk, series__isnull=True)
    return _file_response(request, document)


@public_page(store=False)
def version(request, series, version):
    """One version of a series, at its own stable address."""
    document = get_object_or_404(_documents(request), series__slug=series, version=version)
    return _file_response(request, document)


def latest(request, series):
    """The newest published version of a series: a temporary redirect to it,
    so that the address never changes while what it leads to does."""
    series = get_object_or_404(DocumentSeries, slug=series)
    newest = Document.objects.published().filter(series=series).newest_first().first()
    if newest is None:
        raise Http404("No version of this series is published yet.")
    response = redirect(newest.get_absolute_url())
    add_never_cache_headers(response)
    return response


@method_decorator(public_page, name="dispatch")
class SeriesView(DetailView):
    """Every published version of a series, newest first, with date, type and size."""

    template_name = "news/document_series.html"
    context_object_name = "series"
    slug_url_kwarg = "series"
    queryset = DocumentSeries.objects.all()

    def get_context_data(self, **kwargs):
        versions = (
            Document.objects.published()
            .filter(series=self.object)
            .select_related("item", "series")
            .newest_first()
        )
        series = self.object
        meta = page_meta(
            series.title,
            series.description or f"Every version of {series.title}.",
            breadcrumbs=[(series.title, series.get_absolute_url())],
        )
        versions = list(versions)
        add_keys(self.request, keys.series(series.pk), *(keys.item(v.item_id) for v in versions))
        return super().get_context_data(versions=versions, meta=meta, **kwargs)


@public_page(store=False)
def editor_image(request, name):
    """An image uploaded through CKEditor (common.storage.RandomNameStorage), at
    its random name, from the default storage (local disk or the S3 bucket).
    Only the editor/ folder: documents go through the views above."""
    extension = os.path.splitext(name)[1].lower()
    if extension.lstrip(".") not in settings.CKEDITOR_5_UPLOAD_FILE_TYPES:
        raise Http404("No such image.")
    try:
        handle = default_storage.open(f"{RandomNameStorage.folder}/{name}", "rb")
    except (FileNotFoundError, SuspiciousFileOperation, OSError):
        raise Http404("No such image.") from None
    response = FileResponse(handle, content_type=mimetypes.guess_type(name)[0])
    # A name is never reused (a new upload gets a new random name).
    patch_cache_control(response, public=True, max_age=EDITOR_IMAGE_MAX_AGE)
    return response
