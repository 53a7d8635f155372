from django.urls import path

from . import views

app_name = "maintenance"

urlpatterns = [
    path("", views.MaintenanceListView.as_view(), name="list"),
    path("<int:pk>/", views.MaintenanceNoticeView.as_view(), name="notice"),
]
