from django.contrib import admin

from wangge.core.admin import AuditedAdmin, ScopedAdminMixin
from wangge.territory.models import Building, BuildingTag, Node


@admin.register(Node)
class NodeAdmin(ScopedAdminMixin, AuditedAdmin):
    list_display = ["code", "name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    readonly_fields = ["kind", "parent", "code", "path", "depth", "created_at", "updated_at"]
    fields = [
        "kind",
        "parent",
        "code",
        "name",
        "description",
        "is_active",
        "geometry",
        "path",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False  # nodes come from the division list and `wangge import-grids`

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from wangge.territory import services

        # Through the service, so the geometry is checked and the index rebuilt.
        stored = Node.objects.get(pk=obj.pk)
        services.update_node(
            actor=request.user,
            node=stored,
            name=obj.name,
            description=obj.description,
            is_active=obj.is_active,
            geometry_json=obj.geometry if obj.geometry != stored.geometry else None,
            reason="admin",
        )


@admin.register(BuildingTag)
class BuildingTagAdmin(AuditedAdmin):
    list_display = ["code", "name", "sort"]
    list_editable = ["sort"]


@admin.register(Building)
class BuildingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "compound", "grid", "floors", "built_year"]
    search_fields = ["name", "compound", "address"]
    list_filter = ["tags"]
    readonly_fields = ["grid", "lng", "lat"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # edited through the registry pages and imports (services)
