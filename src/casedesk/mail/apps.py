from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "casedesk.mail"
    label = "mail"
    verbose_name = "E-mail"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy check)
