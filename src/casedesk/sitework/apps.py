from django.apps import AppConfig


class SiteworkConfig(AppConfig):
    name = "casedesk.sitework"
    label = "sitework"
