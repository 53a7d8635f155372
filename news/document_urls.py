from django.urls import path

from . import downloads

app_name = "documents"

urlpatterns = [
    path("<int:pk>/", downloads.download, name="download"),
    path("<slug:series>/", downloads.SeriesView.as_view(), name="series"),
    path("<slug:series>/latest/", downloads.latest, name="latest"),
    path("<slug:series>/<slug:version>/", downloads.version, name="version"),
]
