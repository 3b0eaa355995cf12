"""Open311 clients in the admin: listed and switched off (every save audited); keys are
issued by ``wangge open311-key``, shown once."""

from django.contrib import admin

from wangge.core.admin import AuditedAdmin
from wangge.open311.models import Open311Client


@admin.register(Open311Client)
class Open311ClientAdmin(AuditedAdmin):
    list_display = ["name", "prefix", "node", "is_active", "created_at"]
    readonly_fields = ["key_hash", "prefix"]

    def has_add_permission(self, request):
        return False  # keys are issued by services.create_open311_client (shown once)
