from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from wangge.accounts.forms import AdminLoginForm
from wangge.accounts.models import ApiToken, Membership, User
from wangge.core.admin import AuditedAdmin, ScopedAdminMixin


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["node"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Wangge"), {"fields": ("display_name",)}),
    )
    list_display = ["username", "display_name", "is_active", "is_staff", "last_login"]
    search_fields = ["username", "display_name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ScopedAdminMixin, AuditedAdmin):
    list_display = ["user", "role", "node", "title", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__display_name", "node__name", "node__code"]
    autocomplete_fields = ["user", "node"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = ["user", "key_hash", "prefix", "created_at", "last_used_at"]
    search_fields = ["user__username", "name", "prefix"]

    def has_add_permission(self, request):
        return False  # tokens are issued through the API, shown once


# The admin's login is the one sign-in door too: throttled and recorded like the pages' and
# the API's (``services.sign_in``), never Django's own unthrottled form.
admin.site.login_form = AdminLoginForm
