"""The newsletter's section of /sitemap.xml (portal_site/urls.py composes the apps')."""

from common.sitemaps import NamedPagesSitemap

sitemaps = {"newsletter": NamedPagesSitemap("newsletter:signup")}
