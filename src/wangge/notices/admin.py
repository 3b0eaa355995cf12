"""Standards as data for notices, edited by administrators (every save audited): the kinds
of notice, the notices to start from, and the words of the messages the system sends."""

from django.contrib import admin

from wangge.core.admin import AuditedAdmin
from wangge.notices.models import MessageTemplate, NoticeKind, NoticeTemplate


@admin.register(NoticeKind)
class NoticeKindAdmin(AuditedAdmin):
    list_display = ["code", "name", "sort", "is_active"]
    list_filter = ["is_active"]


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(AuditedAdmin):
    list_display = ["name", "kind", "title", "sort", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "title"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(AuditedAdmin):
    list_display = ["event", "description", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["event", "text"]
