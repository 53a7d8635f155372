"""Checks on uploaded documents: extension, declared type, content and size."""

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

# Extension -> (content types a browser may declare, leading bytes of the file).
# Office Open XML files are ZIP archives; legacy Office files are OLE2 containers.
ZIP = (b"PK\x03\x04",)
OLE2 = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
DOCUMENT_TYPES = {
    ".pdf": ({"application/pdf"}, (b"%PDF-",)),
    ".xlsx": ({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, ZIP),
    ".docx": ({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}, ZIP),
    ".xls": ({"application/vnd.ms-excel"}, OLE2),
    ".doc": ({"application/msword"}, OLE2),
    ".csv": ({"text/csv", "application/csv", "application/vnd.ms-excel", "text/plain"}, None),
}
# Browsers sometimes declare this for anything they do not recognise.
GENERIC_CONTENT_TYPES = {"application/octet-stream", ""}


def _looks_like_text(head):
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut off by the end of the sample is fine.
        return error.start >= len(head) - 3
    return True


def validate_document(upload):
    """Raise ValidationError unless `upload` is an allowed, genuine document."""
    extension = os.path.splitext(upload.name)[1].lower()
    if extension not in DOCUMENT_TYPES:
        allowed = ", ".join(sorted(e.lstrip(".").upper() for e in DOCUMENT_TYPES))
        raise ValidationError(
            "“%(name)s” is not an allowed type of document. Upload one of: %(allowed)s.",
            code="invalid_extension",
            params={"name": upload.name, "allowed": allowed},
        )
    if upload.size > settings.DOCUMENT_MAX_UPLOAD_SIZE:
        raise ValidationError(
            "The file must be smaller than %(limit)s; this one is %(size)s.",
            code="too_large",
            params={
                "limit": filesizeformat(settings.DOCUMENT_MAX_UPLOAD_SIZE),
                "size": filesizeformat(upload.size),
            },
        )
    if upload.size == 0:
        raise ValidationError("The file is empty.", code="empty")

    content_types, signatures = DOCUMENT_TYPES[extension]
    # Model validation passes a FieldFile; the browser's declared type is on
    # the uploaded file inside it.
    uploaded = upload.file if not getattr(upload, "_committed", True) else upload
    declared = getattr(uploaded, "content_type", "") or ""
    if declared not in content_types | GENERIC_CONTENT_TYPES:
        raise ValidationError(
            "The file says it is “%(declared)s”, which does not match its %(ext)s extension.",
            code="content_type_mismatch",
            params={"declared": declared, "ext": extension.lstrip(".").upper()},
        )

    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    genuine = _looks_like_text(head) if signatures is None else head.startswith(signatures)
    if not genuine:
        raise ValidationError(
            "The file's content is not a real %(ext)s file.",
            code="content_mismatch",
            params={"ext": extension.lstrip(".").upper()},
        )
