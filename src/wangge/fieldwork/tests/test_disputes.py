"""Disputes and people's mediation (矛盾纠纷与人民调解) through the API and the pages."""

from __future__ import annotations

import pytest

from wangge.demo.history import story_case
from wangge.fieldwork.models import Dispute, DisputeState

pytestmark = pytest.mark.django_db


def test_the_demo_has_s8_settled_and_linked_to_its_case():
    case = story_case("S8")
    dispute = Dispute.objects.get(case=case)
    assert dispute.state == DisputeState.CLOSED
    assert dispute.drive == "矛盾纠纷排查化解"
    assert dispute.agreement.signed
    assert dispute.follow_ups.get().satisfied
