from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "certfed.sharing"
    label = "sharing"
