from django.apps import AppConfig


class PhoneConfig(AppConfig):
    name = "casedesk.phone"
    label = "phone"
