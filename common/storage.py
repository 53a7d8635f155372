"""Names and places of uploaded files.

Uploads live in Django's default storage: the local folder MEDIA_ROOT, or an
S3 bucket through django-storages when MEDIA_S3_BUCKET is set (settings.py).
Either way the site is the only way in: documents go through the views under
/documents/ (which check that their item is published), editor images through
/media/editor/. The bucket stays private and no page carries an object's own
address, so a document of an unpublished item has no public URL.
"""

import os
import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.utils.encoding import filepath_to_uri


def random_name(original_name, folder):
    """A random file name under `folder` that keeps only the lower-cased extension.

    Uploaded names are never used in storage: they can collide, leak information
    or carry path tricks. Storages are also told never to overwrite (the local
    one never does; S3's `file_overwrite` is off), so an existing name is kept.
    """
    extension = os.path.splitext(original_name)[1].lower()
    return f"{folder}/{uuid.uuid4().hex}{extension}"


class RandomNameStorage(Storage):
    """Editor images (CKEditor's uploads, which instantiates this class itself):
    kept in the default storage under editor/<random name>, and addressed
    through the site (MEDIA_URL), never by the storage's own URL. The address
    stays in the item's HTML for good, where a bucket's signed URL would
    expire within minutes."""

    folder = "editor"

    @property
    def files(self):
        return storages["default"]

    def get_available_name(self, name, max_length=None):
        return self.files.get_available_name(random_name(name, self.folder), max_length)

    def _save(self, name, content):
        return self.files.save(name, content)

    def _open(self, name, mode="rb"):
        return self.files.open(name, mode)

    def exists(self, name):
        return self.files.exists(name)

    def delete(self, name):
        self.files.delete(name)

    def size(self, name):
        return self.files.size(name)

    def url(self, name):
        return settings.MEDIA_URL + filepath_to_uri(name)
