"""Writing notices, robots and follows; reading the public feed and the delivery report.

A notice is written (draft), published — or, if it reaches beyond one community, sent for
approval (审核) and published by its approver — and withdrawn. Publishing writes every
message it becomes into the outbox in the same transaction; workers send them from there.
Each write is keyword-only and atomic, checks the actor's scope and records its audit event.

By concern: ``notices`` (a notice's life: ``create_notice`` … ``withdraw_notice``,
``rewrite_notice``), ``delivery`` (the outbox rows a published notice becomes, the links its
messages carry), ``files`` (``add_notice_file``), ``robots`` (``create_robot``,
``update_robot``), ``follows`` (``follow`` and its confirmation code, ``unfollow``),
``reading`` (``notices_for_grid``, ``delivery_report``), and ``common`` (``Refused``, what the
writes share). The names below are the services other modules call, as
``services.publish_notice(...)``.
"""

from wangge.notices.services.common import Refused, notice_snapshot
from wangge.notices.services.delivery import notice_url, public_url
from wangge.notices.services.files import ATTACHMENT_TYPES, FILE_MAX_BYTES, add_notice_file
from wangge.notices.services.follows import (
    CODE_PURPOSE,
    TooMany,
    confirm_follow,
    find_follow,
    follow,
    unfollow,
)
from wangge.notices.services.notices import (
    MAX_BODY,
    MAX_TITLE,
    approve_notice,
    create_notice,
    publish_notice,
    reject_notice,
    rewrite_notice,
    update_notice,
    withdraw_notice,
)
from wangge.notices.services.reading import delivery_report, notices_for_grid
from wangge.notices.services.robots import create_robot, robot_key, update_robot

__all__ = [
    "ATTACHMENT_TYPES",
    "CODE_PURPOSE",
    "FILE_MAX_BYTES",
    "MAX_BODY",
    "MAX_TITLE",
    "Refused",
    "TooMany",
    "add_notice_file",
    "approve_notice",
    "confirm_follow",
    "create_notice",
    "create_robot",
    "delivery_report",
    "find_follow",
    "follow",
    "notice_snapshot",
    "notice_url",
    "notices_for_grid",
    "public_url",
    "publish_notice",
    "reject_notice",
    "rewrite_notice",
    "robot_key",
    "unfollow",
    "update_notice",
    "update_robot",
    "withdraw_notice",
]
