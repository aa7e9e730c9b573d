from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "certfed.platform"
    label = "platform"
