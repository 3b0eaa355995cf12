from ninja import Schema

from wangge.territory.schemas import NodeBrief


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""


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
    def resolve_role_label(membership):
        return str(membership.get_role_display())


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    is_superuser: bool
    memberships: list[MembershipOut]
