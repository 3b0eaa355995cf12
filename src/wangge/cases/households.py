"""A household's cases: the ones a visit to it may be about, picked by number and title.

A case is the household's when one of its members reported it (as a registered person or
by the phone number on record), when it is about the household's building, or when an
earlier visit to the household was about it. Only cases the caller may see, open ones
first, then the most recent.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

from wangge.cases.choices import FINAL_STATES
from wangge.cases.models import Case

AT_MOST = 20
# Closed cases older than this are no longer offered.
RECENT = datetime.timedelta(days=365)


def household_cases(user, household, *, at_most: int = AT_MOST) -> list[Case]:
    """The cases of ``household`` that ``user`` may see, open first, newest first."""
    from wangge.people.models import Person, Visit

    members = Person.objects.filter(household=household)
    phones = [value for value in members.values_list("phone_hash", flat=True) if value]
    about = Q(reporter_person__in=members.values("pk"))
    if phones:
        about |= Q(reporter_phone_hash__in=phones)
    if household.dwelling_id:
        about |= Q(building_id=household.dwelling.building_id)
    linked = Visit.objects.filter(household=household, case__isnull=False).values("case")
    about |= Q(pk__in=linked)
    since = timezone.now() - RECENT
    return list(
        Case.objects.restrict(user, "view")
        .filter(about)
        .filter(~Q(state__in=FINAL_STATES) | Q(created_at__gte=since) | Q(pk__in=linked))
        .annotate(
            done=models.Case(
                models.When(state__in=FINAL_STATES, then=models.Value(1)),
                default=models.Value(0),
                output_field=models.IntegerField(),
            )
        )
        .order_by("done", "-created_at", "-pk")[:at_most]
    )
