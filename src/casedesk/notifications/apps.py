from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "casedesk.notifications"
    label = "notifications"
    verbose_name = "Outbound e-mail"
