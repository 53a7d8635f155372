"""The project's URLs plus /bench/constant/: the baseline every page is compared with.

The constant page goes through the same middleware and gunicorn workers as the
site's pages but does no work of its own; BENCH_CONSTANT_PAGE_SIZE makes it the
same number of bytes as the page it is compared with.
"""

import os

from django.http import HttpResponse
from django.urls import path

from portal_site import urls as site_urls

SIZE = int(os.environ.get("BENCH_CONSTANT_PAGE_SIZE", "20000"))
_HEAD = b'<!DOCTYPE html>\n<html lang="en-GB"><head><title>Constant page</title></head><body>\n'
_TAIL = b"</body></html>\n"
_FILL = b"<p>The same bytes on every request, served without touching the database.</p>\n"
PAGE = _HEAD + (_FILL * (SIZE // len(_FILL) + 1))[: max(0, SIZE - len(_HEAD) - len(_TAIL))] + _TAIL


def constant_page(request):
    return HttpResponse(PAGE, content_type="text/html; charset=utf-8")


# The site's own patterns, not an include() of them: a page is resolved through
# the same levels as in production, and the constant page costs one pattern more.
urlpatterns = [
    path("bench/constant/", constant_page, name="bench-constant"),
    *site_urls.urlpatterns,
]
