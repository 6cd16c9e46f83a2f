from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "casedesk.mail"
    label = "mail"
    verbose_name = "E-mail"

    def ready(self) -> None:
        from . import checks, handlers  # noqa: F401  (the deploy check, the deadline handler)
