from django.urls import path
from django.views.generic import TemplateView

app_name = "newsletter"

# Placeholder until the newsletter app is built (issue 3).
urlpatterns = [
    path("", TemplateView.as_view(template_name="newsletter/signup.html"), name="signup"),
]
