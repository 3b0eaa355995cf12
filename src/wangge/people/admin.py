from django.contrib import admin

from wangge.core.admin import AuditedAdmin
from wangge.people.models import CareTag


@admin.register(CareTag)
class CareTagAdmin(AuditedAdmin):
    """The editable list of care tags. Persons themselves are not in the admin: their
    personal data is shown masked, and revealed only with a purpose, in the registry."""

    list_display = ["code", "name", "has_disability_detail", "sort", "is_active"]
    list_editable = ["sort", "is_active"]
