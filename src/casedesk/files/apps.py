from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "casedesk.files"
    label = "files"
    verbose_name = "Case files"
