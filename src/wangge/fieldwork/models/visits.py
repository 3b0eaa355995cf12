"""Field work's visit rules and plans (走访): how often each care tag is visited, and when each
tagged person's next visit is due."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.core.scope import ScopedQuerySet


class VisitRule(models.Model):
    """How often people with a care tag are visited (走访) — a standard kept as data.

    Rules without a place are the defaults (loaded from ``fixtures/visit_rules.json``, edited
    by the district); a community (or street) sets its own for a tag, and then its rules for
    that tag replace the defaults for everyone in it. A rule may hold only from an age, or
    only up to a disability grade (1 is the most severe). Among the rules that hold for a
    person, the most frequent sets their plan."""

    node = models.ForeignKey(
        "territory.Node",
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: the default everywhere."),
    )
    tag = models.ForeignKey(
        "people.CareTag", verbose_name=_("care tag"), on_delete=models.CASCADE, related_name="+"
    )
    min_age = models.PositiveSmallIntegerField(_("from the age of"), null=True, blank=True)
    max_disability_grade = models.PositiveSmallIntegerField(
        _("disability grades up to"),
        null=True,
        blank=True,
        help_text=_("1 is the most severe: 2 means grades 1 and 2."),
    )
    every_days = models.PositiveSmallIntegerField(_("a visit every (days)"))
    window_days = models.PositiveSmallIntegerField(
        _("days of grace"), default=0, help_text=_("Days after the due day before it is late.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "node"

    class Meta:
        verbose_name = _("visit rule")
        verbose_name_plural = _("visit rules")
        ordering = ["tag__sort", "node_id", "every_days"]
        constraints = [
            models.CheckConstraint(
                condition=Q(every_days__gte=1), name="fieldwork_visitrule_every_day_or_more"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tag}: {self.every_days}"


class PlanState(models.TextChoices):
    """Where a person's next visit stands on a day: one definition (``VisitPlan.state_on``,
    ``plans.state_q``) for the phone, the lists, the home page and the API."""

    PLANNED = "planned", _("Not yet due")
    DUE = "due", pgettext_lazy("visit", "Due")
    OVERDUE = "overdue", _("Overdue")


class VisitPlan(models.Model):
    """The next visit due to one person, from their care tags and the rules (derived: written
    by ``plans.recompute`` whenever a tag, a visit or the rules change, never by hand)."""

    person = models.OneToOneField(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    rule = models.ForeignKey(
        VisitRule, verbose_name=_("rule"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    tag = models.ForeignKey(
        "people.CareTag", verbose_name=_("care tag"), on_delete=models.CASCADE, related_name="+"
    )
    every_days = models.PositiveSmallIntegerField(_("a visit every (days)"))
    window_days = models.PositiveSmallIntegerField(_("days of grace"))
    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True)
    due_on = models.DateField(_("due on"), db_index=True)
    overdue_on = models.DateField(_("late after"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "person__grid"

    class Meta:
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        ordering = ["due_on", "person_id"]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.due_on}"

    def state_on(self, day: datetime.date) -> str:
        if day > self.overdue_on:
            return PlanState.OVERDUE
        if day >= self.due_on:
            return PlanState.DUE
        return PlanState.PLANNED
