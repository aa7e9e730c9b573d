from django.apps import AppConfig


class IntelConfig(AppConfig):
    name = "certfed.intel"
    label = "intel"
