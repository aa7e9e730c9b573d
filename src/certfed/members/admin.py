"""Account management for platform admins. Content models (events, indicators, sharing
groups' objects) are deliberately NOT registered: the admin site bypasses the sharing gate,
so it must hold nothing but accounts and organisations."""

from __future__ import annotations

from django.contrib import admin

from certfed.members.models import ApiKey, Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("short_name", "name", "country", "category", "status")
    list_filter = ("category", "status", "country")
    search_fields = ("short_name", "name")


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "organisation", "role", "is_active", "is_secretariat", "is_board",
                    "is_platform_admin", "last_login")  # fmt: skip
    list_filter = ("role", "is_active", "is_secretariat", "is_board", "is_platform_admin")
    search_fields = ("email", "full_name")
    fields = ("email", "full_name", "organisation", "role", "is_active", "is_secretariat",
              "is_board", "is_platform_admin", "last_login", "date_joined")  # fmt: skip
    readonly_fields = ("last_login", "date_joined")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "scope", "created", "last_used", "revoked")
    list_filter = ("scope", "revoked")
    fields = ("user", "name", "prefix", "scope", "created", "last_used", "revoked")
    readonly_fields = ("user", "prefix", "created", "last_used")

    def has_add_permission(self, request) -> bool:
        return False  # keys are created where they can be shown once: CLI, web UI
