from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "casedesk.reports"
    label = "reports"

    def ready(self) -> None:
        from . import services  # noqa: F401  registers the daily snapshot handler
