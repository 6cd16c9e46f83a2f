from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "casedesk.files"
    label = "files"
    verbose_name = "Case files"

    def ready(self) -> None:
        from . import handlers  # noqa: F401  registers the upload expiry handler
