from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "casedesk.catalog"
    label = "catalog"
