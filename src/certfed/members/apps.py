from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "certfed.members"
    label = "members"

    def ready(self) -> None:
        from certfed.members import signals  # noqa: F401
