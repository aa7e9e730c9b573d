from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "certfed.audit"
    label = "audit"
