from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "certfed.exchange"
    label = "exchange"
