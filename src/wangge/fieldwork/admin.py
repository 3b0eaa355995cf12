"""Field work's standards as data, edited by administrators (every save audited): the visit
rules (defaults, and a place's own), the campaigns' checklists with the answers that are
hazards, the kinds of disputes and of errands."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction

from wangge.core.admin import AuditedAdmin
from wangge.fieldwork import plans
from wangge.fieldwork.models import Checklist, DisputeKind, ErrandKind, HazardRule, VisitRule
from wangge.fieldwork.services.visit_rules import check_rule


class VisitRuleForm(forms.ModelForm):
    """The same checks as the API's (``check_rule``), each error on its field."""

    class Meta:
        model = VisitRule
        fields = [
            "node",
            "tag",
            "min_age",
            "max_disability_grade",
            "every_days",
            "window_days",
            "note",
            "is_active",
        ]

    def clean(self):
        data = super().clean()
        try:
            check_rule(
                node=data.get("node"),
                every_days=data.get("every_days"),
                window_days=data.get("window_days"),
                min_age=data.get("min_age"),
                max_disability_grade=data.get("max_disability_grade"),
                note=data.get("note") or "",
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field in self.fields and field not in self.errors:
                    self.add_error(field, messages)
        return data


@admin.register(VisitRule)
class VisitRuleAdmin(AuditedAdmin):
    """A changed rule moves the plans it sets at once, as ``set_visit_rule`` does: those of
    its place, or everyone's for a default."""

    list_display = [
        "tag",
        "node",
        "min_age",
        "max_disability_grade",
        "every_days",
        "window_days",
        "is_active",
    ]
    list_filter = ["tag", "is_active"]
    autocomplete_fields = ["node"]
    form = VisitRuleForm

    @staticmethod
    def _recompute(rule: VisitRule) -> None:
        people = plans.in_places([rule.node.path]) if rule.node_id else None
        transaction.on_commit(lambda: plans.recompute(people))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._recompute(obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._recompute(obj)


@admin.register(Checklist)
class ChecklistAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "is_active", "sort"]
    list_filter = ["kind", "is_active"]


@admin.register(HazardRule)
class HazardRuleAdmin(AuditedAdmin):
    list_display = ["question", "category_code", "title"]


@admin.register(DisputeKind)
class DisputeKindAdmin(AuditedAdmin):
    list_display = ["code", "name", "sort", "is_active"]


@admin.register(ErrandKind)
class ErrandKindAdmin(AuditedAdmin):
    list_display = ["code", "name", "sort", "is_active"]
