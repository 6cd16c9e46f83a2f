from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "casedesk.resources"
    label = "resources"
    verbose_name = "Resources, licences and contacts"
