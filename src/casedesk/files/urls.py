"""Files URLs, included at "/" (tus uploads and attachment downloads)."""

from django.urls import path

from . import tus, views

urlpatterns = [
    path("uploads/", tus.uploads_root, name="files-uploads"),
    path("uploads/<str:upload_id>", tus.upload_resource, name="files-upload"),
    path(
        "files/<int:attachment_id>/download/",
        views.attachment_download,
        name="files-attachment-download",
    ),
]
