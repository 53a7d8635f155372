"""A URLconf for the page cache tests: a cached page with a CSRF form, beside
the site's own pages (the base layout's links name them)."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from portal_site.page_cache import public_page

FORM = engines["django"].from_string(
    '<form method="post" action="/submit/">{% csrf_token %}<button>Send</button></form>'
)


@public_page
def form_page(request):
    return HttpResponse(FORM.render({}, request))


def submit(request):
    return HttpResponse("accepted")


urlpatterns = [
    path("form/", form_page),
    path("submit/", submit),
    path("", include("portal_site.urls")),
]
