from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "casedesk.escalations"
    label = "escalations"
