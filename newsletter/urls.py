from django.urls import path

from . import views

app_name = "newsletter"

urlpatterns = [
    path("", views.SignupView.as_view(), name="signup"),
    path("check-your-email/", views.CheckEmailView.as_view(), name="check-email"),
    path("confirm/<str:token>/", views.ConfirmView.as_view(), name="confirm"),
    path("preferences/<str:token>/", views.PreferencesView.as_view(), name="preferences"),
    path("unsubscribe/<str:token>/", views.UnsubscribeView.as_view(), name="unsubscribe"),
    path("manage/", views.LinkRequestView.as_view(), name="manage"),
    path("manage/sent/", views.LinkRequestSentView.as_view(), name="manage-sent"),
    path("archive/", views.ArchiveView.as_view(), name="archive"),
    path("archive/<int:pk>/", views.DigestWebVersionView.as_view(), name="archive-detail"),
]
