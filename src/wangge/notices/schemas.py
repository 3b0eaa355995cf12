import datetime

from ninja import Field, Schema

from wangge.core import inputs
from wangge.core.schemas import NodeBrief
from wangge.notices.models import Notice, NoticeFile, Robot
from wangge.territory.models import Node


class NoticeKindOut(Schema):
    code: str
    name: str


class NoticeIn(Schema):
    kind: str = Field("", description="notice kind code (see GET /notice-kinds); or a template's")
    template: int | None = Field(None, description="a notice template's id: its kind and words")
    title: str = inputs.field(Notice, "title")
    body: str = inputs.field(Notice, "body")
    nodes: list[int] = Field([], description="territory node ids: the places it is for")
    buildings: list[int] = Field([], description="building ids")
    care_tags: list[str] = Field([], description="care tag codes: SMS only to those residents")
    roles: list[str] = Field([], description="staff roles in the places to e-mail")
    to_web: bool = True
    to_wecom: bool = True
    to_sms: bool = False
    to_email: bool = False
    wecom_format: str = Field("text", description="text, markdown or news")
    mention_all: bool = False
    publish_at: datetime.datetime | None = Field(None, description="when it goes out (now)")
    expires_at: datetime.datetime | None = None


class ReviewIn(Schema):
    note: str = inputs.field(Notice, "review_note")


class NoticeFileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    is_image: bool


class NoticeOut(Schema):
    id: int
    title: str
    body: str
    kind: str
    kind_name: str
    state: str
    state_label: str
    needs_approval: bool
    node: NodeBrief = Field(description="the smallest place holding all it is for")
    nodes: list[NodeBrief]
    buildings: list[int]
    care_tags: list[str]
    roles: list[str]
    to_web: bool
    to_wecom: bool
    to_sms: bool
    to_email: bool
    wecom_format: str
    mention_all: bool
    publish_at: datetime.datetime | None
    expires_at: datetime.datetime | None
    created_by_id: int | None
    submitted_at: datetime.datetime | None
    approved_by_id: int | None
    approved_at: datetime.datetime | None
    review_note: str
    published_by_id: int | None
    withdrawn_at: datetime.datetime | None
    created_at: datetime.datetime
    files: list[NoticeFileOut]

    @staticmethod
    def resolve_kind(notice: Notice) -> str:
        return notice.kind.code

    @staticmethod
    def resolve_kind_name(notice: Notice) -> str:
        return notice.kind.name

    @staticmethod
    def resolve_state_label(notice: Notice) -> str:
        return str(notice.get_state_display())

    @staticmethod
    def resolve_nodes(notice: Notice) -> list[Node]:
        return list(notice.nodes.all())

    @staticmethod
    def resolve_buildings(notice: Notice) -> list[int]:
        return [building.pk for building in notice.buildings.all()]

    @staticmethod
    def resolve_care_tags(notice: Notice) -> list[str]:
        return [tag.code for tag in notice.care_tags.all()]

    @staticmethod
    def resolve_files(notice: Notice) -> list[NoticeFile]:
        return list(notice.files.all())


class StateCounts(Schema):
    pending: int = 0
    sending: int = 0
    sent: int = 0
    logged: int = Field(
        0, description="recorded in the log only, never sent (no SMS gateway configured)"
    )
    failed: int = 0
    dead: int = 0


class ChannelCounts(StateCounts):
    channel: str


class GridCounts(StateCounts):
    node_id: int | None
    code: str
    name: str


class DeliveryReport(Schema):
    notice_id: int
    total: StateCounts
    by_channel: list[ChannelCounts]
    by_grid: list[GridCounts]
    possibly_repeated: int = Field(
        description="messages a worker may have sent twice (it stopped between the answer "
        "and its record)"
    )


class RobotIn(Schema):
    grid: int = Field(description="the grid whose residents' group the robot posts to")
    name: str = Field(max_length=64, description="the group's name")
    key: str = Field(
        max_length=500, description="the webhook key, or the whole webhook address; never shown"
    )


class RobotOut(Schema):
    id: int
    grid: NodeBrief
    name: str
    key: str = Field(description="masked: the last four characters")
    is_active: bool
    last_error: str
    last_error_at: datetime.datetime | None
    created_at: datetime.datetime

    @staticmethod
    def resolve_key(robot: Robot) -> str:
        return robot.key_masked
