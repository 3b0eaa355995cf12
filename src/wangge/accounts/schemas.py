from ninja import Field, Schema

from wangge.accounts.forms import PASSWORD_MAX
from wangge.accounts.models import ApiToken, Membership
from wangge.core import inputs
from wangge.core.schemas import NodeBrief


class TokenIn(Schema):
    username: str = Field(max_length=150)
    password: str = Field(max_length=PASSWORD_MAX)
    name: str = inputs.field(ApiToken, "name", description="what the token is for, e.g. 手机")


class TokenOut(Schema):
    token: str
    expires_at: str


class UserBrief(Schema):
    id: int
    username: str
    display_name: str


class MembershipOut(Schema):
    id: int
    user: UserBrief
    node: NodeBrief
    role: str
    role_label: str
    title: str
    is_active: bool

    @staticmethod
    def resolve_role_label(membership: Membership) -> str:
        return str(membership.get_role_display())


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    is_superuser: bool
    memberships: list[MembershipOut]
