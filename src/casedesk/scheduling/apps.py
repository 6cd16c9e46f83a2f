from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "casedesk.scheduling"
    label = "scheduling"
