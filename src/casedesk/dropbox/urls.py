"""Console routes, included under "console/cases/<number>/dropbox/"."""

from django.urls import path

from . import views

urlpatterns = [
    path("open/", views.open_dropbox, name="console-dropbox-open"),
    path("revoke/", views.revoke_dropbox, name="console-dropbox-revoke"),
]
