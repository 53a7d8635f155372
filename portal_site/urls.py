from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.generic import TemplateView

from common.page_cache import public_page
from common.sitemaps import SITEMAP_KEY
from maintenance.views import maintenance_calendar
from news.downloads import editor_image
from news.sitemaps import sitemaps
from news.uploads import upload_editor_image
from news.views import HomeView
from pages.sitemaps import StandingPageSitemap

from . import views

handler404 = "portal_site.views.page_not_found"
handler500 = "common.guards.server_error"

admin.site.site_header = f"{settings.SITE_NAME} news administration"
admin.site.site_title = f"{settings.SITE_NAME} news"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("news/", include("news.urls")),
    path("news-and-updates/", include("news.legacy_urls")),
    path("documents/", include("news.document_urls")),
    path("newsletter/", include("newsletter.urls")),
    path("cookies/", include("cookies.urls")),
    path("anymail/", include("newsletter.webhook_urls")),
    path("maintenance/", include("maintenance.urls")),
    path("maintenance.ics", maintenance_calendar, name="maintenance-calendar"),
    path("admin/", admin.site.urls),
    # django_ckeditor_5's upload view behind an image check (news/uploads.py).
    path("ckeditor5/image_upload/", upload_editor_image, name="ck_editor_5_upload_file"),
    path(
        "sitemap.xml",
        public_page(sitemap, query_params=["p"], keys=[SITEMAP_KEY]),
        {"sitemaps": {**sitemaps, "standing-pages": StandingPageSitemap}},
        name="sitemap",
    ),
    path(
        "robots.txt",
        public_page(TemplateView.as_view(template_name="robots.txt", content_type="text/plain")),
        name="robots",
    ),
    path("healthz/", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links to.
    path("favicon.ico", views.favicon),
    # Editor images. WhiteNoise serves only static files; uploads are few and
    # stored under random names (in the bucket, with S3), so Django serves
    # them. Documents are not served from here: /documents/ checks that their
    # item is published.
    re_path(r"^media/editor/(?P<name>[\w.-]+)$", editor_image),
    # Standing pages (/privacy/, /accessibility/, /about/): last, so that they
    # never shadow a section's address.
    path("", include("pages.urls")),
]
