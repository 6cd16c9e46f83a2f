"""Care queue URLs, included by the console at "console/mail/" (names prefixed ``console-mail``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.queue, name="console-mail"),
    path("<int:pk>/", views.detail, name="console-mail-detail"),
    path("<int:pk>/raw/", views.raw, name="console-mail-raw"),
    path("<int:pk>/link/", views.link, name="console-mail-link"),
    path("<int:pk>/open-case/", views.open_case, name="console-mail-open-case"),
    path("<int:pk>/dismiss/", views.dismiss, name="console-mail-dismiss"),
]
