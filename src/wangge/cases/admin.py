"""Standards as data for the closed loop, edited by administrators (every save audited)."""

from django.contrib import admin

from wangge.cases.models import (
    Agency,
    CalendarDay,
    Category,
    CategoryTree,
    RoutingRule,
    StageLimit,
    Team,
)
from wangge.core.admin import AuditedAdmin, ScopedAdminMixin


class StageLimitInline(admin.TabularInline):
    model = StageLimit
    extra = 0
    fields = ["stage", "urgent", "amount", "unit", "warn_ratio"]


@admin.register(CategoryTree)
class CategoryTreeAdmin(AuditedAdmin):
    list_display = ["name", "version", "is_current", "created_at"]


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = [
        "code",
        "name",
        "parent",
        "default_kind",
        "duplicate_radius_m",
        "public",
        "counts_as_problem",
        "agency",
        "is_active",
    ]
    list_filter = ["tree", "default_kind", "public", "counts_as_problem", "is_active"]
    search_fields = ["code", "name"]
    inlines = [StageLimitInline]

    def save_formset(self, request, form, formset, change):
        """Time limits edited inline are audited too (they move every deadline)."""
        from wangge.core import audit

        instances = formset.save(commit=False)
        for limit in formset.deleted_objects:
            audit.record(
                actor=request.user,
                action="cases.stagelimit.deleted",
                target=limit,
                before=audit.snapshot(limit),
                reason="admin",
            )
            limit.delete()
        for limit in instances:
            limit.tree_id = form.instance.tree_id
            created = limit.pk is None
            limit.save()
            audit.record(
                actor=request.user,
                action=f"cases.stagelimit.{'created' if created else 'updated'}",
                target=limit,
                after=audit.snapshot(limit),
                reason="admin",
            )
        formset.save_m2m()


@admin.register(StageLimit)
class StageLimitAdmin(AuditedAdmin):
    list_display = ["tree", "category", "stage", "urgent", "amount", "unit", "warn_ratio"]
    list_filter = ["tree", "stage", "urgent", "unit"]


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    list_display = ["date", "is_workday", "note"]
    date_hierarchy = "date"


@admin.register(Agency)
class AgencyAdmin(AuditedAdmin):
    list_display = ["name", "kind", "phone", "is_active"]


@admin.register(Team)
class TeamAdmin(ScopedAdminMixin, AuditedAdmin):
    list_display = ["name", "node", "is_active"]
    filter_horizontal = ["members"]
    autocomplete_fields = ["node"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(ScopedAdminMixin, AuditedAdmin):
    """Routing rules; their history is the audit log (filter by target type
    ``cases.routingrule``)."""

    list_display = [
        "position",
        "node",
        "category",
        "kind",
        "target_kind",
        "user",
        "role",
        "team",
        "is_active",
    ]
    list_editable = ["is_active"]
    list_filter = ["target_kind", "is_active"]
    autocomplete_fields = ["node", "user"]
