from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "casedesk.knowledge"
    label = "knowledge"
