from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.generic import TemplateView

from common.page_cache import public_page
from common.sitemaps import SITEMAP_KEY, NamedPagesSitemap, sitemap_index
from editorial.views import SharedPreviewView
from maintenance.sitemaps import sitemaps as maintenance_sitemaps
from maintenance.views import maintenance_calendar
from management_information.sitemaps import sitemaps as management_information_sitemaps
from news.downloads import editor_image
from news.sitemaps import sitemaps as news_sitemaps
from news.uploads import upload_editor_image
from news.views import HomeView
from newsletter.sitemaps import sitemaps as newsletter_sitemaps
from pages.sitemaps import sitemaps as pages_sitemaps

from . import views

# Each app lists its own public pages.
sitemaps = {
    "home": NamedPagesSitemap("home"),
    **news_sitemaps,
    **maintenance_sitemaps,
    **newsletter_sitemaps,
    **pages_sitemaps,
    **management_information_sitemaps,
}


def public_template(template_name, content_type):
    """A public page that is one template (robots.txt, print.css)."""
    view = TemplateView.as_view(template_name=template_name, content_type=content_type)
    return public_page(view, query_params=())


handler404 = "portal_site.views.page_not_found"
handler500 = "common.guards.server_error"

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
    path("management-information/", include("management_information.urls")),
    path("admin/", admin.site.urls),
    # django_ckeditor_5's upload view behind an image check (news/uploads.py).
    path("ckeditor5/image_upload/", upload_editor_image, name="ck_editor_5_upload_file"),
    path(
        "sitemap.xml",
        public_page(sitemap_index, keys=[SITEMAP_KEY]),
        {"sitemaps": sitemaps, "section_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<slug:section>.xml",
        public_page(sitemap, query_params=["p"], keys=[SITEMAP_KEY]),
        {"sitemaps": sitemaps},
        name="sitemap-section",
    ),
    path("robots.txt", public_template("robots.txt", "text/plain"), name="robots"),
    # A template, for the site's address in printed links (templates/print.css).
    path("print.css", public_template("print.css", "text/css"), name="print-stylesheet"),
    path("healthz/", views.healthz, name="healthz"),
    # A Publisher's preview link for reviewers without an account (never cached).
    path("preview/<str:token>/", SharedPreviewView.as_view(), name="shared-preview"),
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
