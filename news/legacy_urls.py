"""Addresses under /news-and-updates/ used by the real site before this one."""

from django.urls import path

from .views import LegacyRedirectView

urlpatterns = [
    path(
        "news-and-updates-<int:year>/<slug:slug>/",
        LegacyRedirectView.as_view(pattern_name="news:item"),
    ),
    path("<int:year>/<slug:slug>/", LegacyRedirectView.as_view(pattern_name="news:item")),
]
