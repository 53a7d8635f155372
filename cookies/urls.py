from django.urls import path

from . import views

app_name = "cookies"

urlpatterns = [
    path("", views.CookieSettingsView.as_view(), name="settings"),
    path("consent/", views.consent_view, name="consent"),
]
