from django.urls import path

from . import feeds, legacy_urls, views

app_name = "news"

urlpatterns = [
    path("", views.NewsIndexView.as_view(), name="index"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("feed/", feeds.LatestNewsFeed(), name="feed"),
    path("feed/atom/", feeds.LatestNewsAtomFeed(), name="feed-atom"),
    path("category/", views.CategoryIndexView.as_view(), name="categories"),
    path("category/<slug:slug>/", views.CategoryView.as_view(), name="category"),
    path("category/<slug:slug>/feed/", feeds.CategoryFeed(), name="category-feed"),
    path("category/<slug:slug>/feed/atom/", feeds.CategoryAtomFeed(), name="category-feed-atom"),
    path("<int:year>/", views.YearArchiveView.as_view(), name="year"),
    path("<int:year>/<slug:slug>/", views.NewsItemView.as_view(), name="item"),
    # The real site's older addresses.
    *legacy_urls.yearly_patterns,
]
