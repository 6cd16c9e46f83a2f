from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "casedesk.reports"
    label = "reports"

    def ready(self) -> None:
        from . import exports, services  # noqa: F401  register the deadline handlers
