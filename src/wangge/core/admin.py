"""The Django admin, for district administrators: scoped, and audited like every write."""

from django.contrib import admin

from wangge.core import audit
from wangge.core.models import AuditEvent, Job


class ScopedAdminMixin:
    """The admin's lists and forms read through ``restrict`` like every other page."""

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, "view")


class AuditedAdmin(admin.ModelAdmin):
    """Admin saves and deletes write an audit event, as services do."""

    def _name(self, obj) -> str:
        return f"{obj._meta.app_label}.{obj._meta.model_name}"

    def _node(self, obj):
        if getattr(obj, "scope_field", None) == "":  # a node of the territory tree itself
            return obj
        return getattr(obj, "node", None) or getattr(obj, "grid", None)

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            stored = type(obj)._base_manager.filter(pk=obj.pk).first()
            before = audit.snapshot(stored) if stored else None
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action=f"{self._name(obj)}.{'updated' if change else 'created'}",
            target=obj,
            node=self._node(obj),
            before=before,
            after=audit.snapshot(obj),
            reason="admin",
        )

    def delete_model(self, request, obj):
        audit.record(
            actor=request.user,
            action=f"{self._name(obj)}.deleted",
            target=obj,
            node=self._node(obj),
            before=audit.snapshot(obj),
            reason="admin",
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "target_repr", "node", "request_id"]
    list_filter = ["action"]
    search_fields = ["actor_name", "action", "target_repr", "target_id", "request_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "state",
        "progress_done",
        "progress_total",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "state"]
    readonly_fields = [field.name for field in Job._meta.fields]

    def has_add_permission(self, request):
        return False
