import django_filters
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership
from wangge.core.filters import NodeSubtreeFilter, UserRefFilter


class MembershipFilter(django_filters.FilterSet):
    node = NodeSubtreeFilter(node_field="node", label=_("Within node"))
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("Role"))
    user = UserRefFilter(field_name="user", label=_("User"))

    class Meta:
        model = Membership
        fields = []
