import os
import uuid

from django.core.files.storage import FileSystemStorage


def random_name(original_name, folder):
    """A random file name under `folder` that keeps only the lower-cased extension.

    Uploaded names are never used on disk: they can collide, leak information or
    carry path tricks.
    """
    extension = os.path.splitext(original_name)[1].lower()
    return f"{folder}/{uuid.uuid4().hex}{extension}"


class RandomNameStorage(FileSystemStorage):
    """Storage for editor image uploads: every file gets a random name."""

    def get_available_name(self, name, max_length=None):
        return super().get_available_name(random_name(name, "editor"), max_length)
