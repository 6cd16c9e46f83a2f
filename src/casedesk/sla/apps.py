from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "casedesk.sla"
    label = "sla"

    def ready(self) -> None:
        from . import alerts, handlers, milestones, retention  # noqa: F401  registers the handlers
