"""The site's URLs under /site/: a URLconf other than the project's."""

from django.urls import include, path

urlpatterns = [path("site/", include("portal_site.urls"))]
