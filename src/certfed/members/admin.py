"""Account management for platform admins. Content models (events, indicators) are
deliberately NOT registered: the admin site bypasses the sharing gate, so it holds nothing but
accounts and organisations. Every change made here is written to the audit log, and nothing
here can move a user into another organisation (which would hand them its content) or bring
a revoked API key back."""

from __future__ import annotations

from django.contrib import admin, messages

from certfed.audit.log import context_for, record
from certfed.members.models import ApiKey, Organisation, User


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        record(
            context_for(request, "web"),
            f"admin.{obj._meta.model_name}.{'change' if change else 'create'}",
            obj,
            detail={"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request, obj) -> None:
        label = str(obj)
        super().delete_model(request, obj)
        record(context_for(request, "web"), f"admin.{obj._meta.model_name}.delete",
               object_type=obj._meta.model_name, object_id=label)  # fmt: skip

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # suspend or deactivate instead: content and the audit trail refer to them


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("short_name", "name", "country", "category", "status")
    list_filter = ("category", "status", "country")
    search_fields = ("short_name", "name")


@admin.register(User)
class UserAdmin(AuditedAdmin):
    list_display = ("email", "organisation", "role", "is_active", "is_secretariat", "is_board",
                    "is_platform_admin", "last_login")  # fmt: skip
    list_filter = ("role", "is_active", "is_secretariat", "is_board", "is_platform_admin")
    search_fields = ("email", "full_name")
    fields = ("email", "full_name", "organisation", "role", "is_active", "is_secretariat",
              "is_board", "is_platform_admin", "last_login", "date_joined")  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        readonly = ["last_login", "date_joined"]
        if obj is not None:
            # A user never changes organisation: that would hand them the new one's content.
            readonly.append("organisation")
            if obj.pk == request.user.pk:
                readonly += ["role", "is_active", "is_platform_admin", "is_secretariat",
                             "is_board"]  # fmt: skip
        return readonly


@admin.register(ApiKey)
class ApiKeyAdmin(AuditedAdmin):
    list_display = ("prefix", "user", "name", "scope", "created", "last_used", "revoked")
    list_filter = ("scope", "revoked")
    fields = ("user", "name", "prefix", "scope", "created", "last_used", "revoked")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # keys are created where they can be shown once: CLI, web UI

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # read-only; revoking is the one change, and it is one-way

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset) -> None:
        from certfed.members.actions import do_revoke_api_key

        ctx = context_for(request, "web")
        for key in queryset.select_related("user__organisation").filter(revoked=False):
            do_revoke_api_key(ctx, key)
        self.message_user(request, "revoked", messages.SUCCESS)
