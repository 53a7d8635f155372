from django.urls import path
from django.views.generic import TemplateView

app_name = "cookies"

# Placeholder until the cookies app is built (issue 4).
urlpatterns = [
    path("", TemplateView.as_view(template_name="cookies/settings.html"), name="settings"),
]
