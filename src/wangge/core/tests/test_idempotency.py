"""A retry with the same idempotency key gets the first answer, even when it slips past the
look-up (two requests at once): the key's uniqueness catches it, for anonymous callers too."""

import pytest

from wangge.core.models import IdempotencyKey
from wangge.core.services import idempotent
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", [None, "district"])
def test_a_racing_retry_gets_the_first_object(username):
    from wangge.accounts.models import User

    actor = User.objects.get(username=username) if username else None
    made = []

    def create():
        made.append(Node.objects.order_by("pk")[len(made)])
        return made[-1]

    first, created = idempotent(
        key="k-1", actor=actor, operation="test.make", model=Node, create=create, replayed=True
    )
    again, created_again = idempotent(
        key="k-1", actor=actor, operation="test.make", model=Node, create=create, replayed=True
    )
    assert created and not created_again
    assert again == first and len(made) == 2  # the second create ran, and was rolled back
    assert IdempotencyKey.objects.filter(operation="test.make").count() == 1
