from django.apps import AppConfig


class DropboxConfig(AppConfig):
    name = "casedesk.dropbox"
    label = "dropbox"
    verbose_name = "SFTP drop boxes"

    def ready(self) -> None:
        from . import handlers  # noqa: F401  registers the "dropbox.expire" deadline handler
