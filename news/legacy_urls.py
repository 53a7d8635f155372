"""Addresses of the real site before this one: /news/news-and-updates-2020/…,
/news-and-updates/news-and-updates-2020/… and /news-and-updates/2018/…, yearly
listings and items."""

from django.urls import path

from .views import LegacyItemRedirectView, LegacyYearRedirectView

# Under /news/ (news/urls.py) and under /news-and-updates/.
yearly_patterns = [
    path("news-and-updates-<int:year>/", LegacyYearRedirectView.as_view()),
    path("news-and-updates-<int:year>/<slug:slug>/", LegacyItemRedirectView.as_view()),
]

urlpatterns = [
    *yearly_patterns,
    path("<int:year>/", LegacyYearRedirectView.as_view()),
    path("<int:year>/<slug:slug>/", LegacyItemRedirectView.as_view()),
]
