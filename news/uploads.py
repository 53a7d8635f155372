"""The editor's image upload: django_ckeditor_5's view behind a real image check.

Its own check (Pillow's verify()) catches only OSError, so a decompression bomb
(DecompressionBombError), a broken PNG (SyntaxError) or a form without the file
(KeyError) became a 500. Here each is a 400 with a message the editor shows;
what passes is handed to django_ckeditor_5 unchanged.
"""

import warnings

from django.http import JsonResponse
from django.views.decorators.http import require_POST
from django_ckeditor_5.permissions import check_upload_permission
from django_ckeditor_5.views import upload_file
from PIL import Image


def image_problem(upload):
    """Why `upload` is not an image the editor may store, or None if it is."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                image.load()  # decodes every pixel: truncated files fail here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return f"The image has too many pixels: at most {Image.MAX_IMAGE_PIXELS:,} are allowed."
    except (OSError, SyntaxError, ValueError, EOFError):
        return "The file is not an image that can be read (it may be damaged)."
    finally:
        upload.seek(0)
    return None


@require_POST
@check_upload_permission
def upload_editor_image(request):
    upload = request.FILES.get("upload")
    if upload is None:
        return JsonResponse({"error": {"message": "Choose an image to upload."}}, status=400)
    problem = image_problem(upload)
    if problem:
        return JsonResponse({"error": {"message": problem}}, status=400)
    return upload_file(request)
