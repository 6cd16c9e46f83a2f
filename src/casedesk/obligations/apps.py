from django.apps import AppConfig


class ObligationsConfig(AppConfig):
    name = "casedesk.obligations"
    label = "obligations"
