import django_filters
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership
from wangge.core.filters import NodeSubtreeFilter


class MembershipFilter(django_filters.FilterSet):
    node = NodeSubtreeFilter(node_field="node", label=_("Within node"))
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("Role"))
    user = django_filters.NumberFilter(field_name="user_id", label=_("User"))

    class Meta:
        model = Membership
        fields = []
