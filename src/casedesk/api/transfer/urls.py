"""Transfer URLs, included at "/": tus uploads and attachment downloads (names ``files-…``)."""

from django.urls import path

from . import downloads, tus

urlpatterns = [
    path("uploads/", tus.uploads_root, name="files-uploads"),
    path("uploads/<str:upload_id>", tus.upload_resource, name="files-upload"),
    path(
        "files/<int:attachment_id>/download/",
        downloads.attachment_download,
        name="files-attachment-download",
    ),
    path("files/signed/<str:token>/", downloads.attachment_signed, name="files-attachment-signed"),
]
