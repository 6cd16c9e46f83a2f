"""Routes of the notifications app, included at "/" (names prefixed ``survey``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("survey/<str:token>/", views.survey, name="survey"),
    path("console/surveys/", views.survey_results_page, name="console-surveys"),
]
