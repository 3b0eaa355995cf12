"""Field work: the visits due to people who need care (走访), and — to come — patrols,
inspection campaigns, disputes and errands."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.core import inputs
from wangge.core.crypto import mask_id_number, mask_phone
from wangge.core.fields import EncryptedCharField
from wangge.core.scope import ScopedQuerySet, get_scope


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


# --- Campaigns ---
# Inspection campaigns (排查): a checklist taken to every building (or dwelling, or public
# place) of a community or street within a window, one team per grid; an answer that reveals
# a hazard opens a case, which the campaign follows until it is fixed.


class CampaignKind(models.TextChoices):
    HAZARD = "hazard", _("Safety hazard inspection")
    DISPUTE = "dispute", _("Dispute screening")


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CheckResult(models.TextChoices):
    OK = "ok", _("No hazard")
    HAZARD = "hazard", _("Hazard found")


class Checklist(models.Model):
    """A checklist template (a standard kept as data, from ``fixtures/checklists.json``): the
    typed questions of a ``core.Form``; which answers reveal a hazard is each question's
    ``HazardRule``."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=CampaignKind.choices)
    form = models.OneToOneField(
        "core.Form", verbose_name=_("form"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class HazardRule(models.Model):
    """The answers to a checklist question that reveal a hazard, and the category of the case
    each opens (by code, so it holds across category tree versions)."""

    question = models.OneToOneField(
        "core.Question",
        verbose_name=_("question"),
        on_delete=models.CASCADE,
        related_name="hazard_rule",
    )
    values = models.JSONField(
        _("hazard answers"), default=list, help_text=_('e.g. [true] or ["frozen"]')
    )
    category_code = models.CharField(_("category code"), max_length=32)
    title = models.CharField(_("case title"), max_length=100, blank=True)
    attributes = models.JSONField(
        _("case answers"),
        default=dict,
        blank=True,
        help_text=_("Answers to the category's own questions, given with the case."),
    )

    class Meta:
        verbose_name = _("hazard rule")
        verbose_name_plural = _("hazard rules")

    def __str__(self) -> str:
        return f"{self.question_id} → {self.category_code}"

    def matches(self, value) -> bool:
        """Whether a stored answer is one of the hazard answers."""
        if value is None:
            return False
        wanted = {str(v).lower() for v in self.values}
        given = value if isinstance(value, list) else [value]
        return any(str(item).lower() in wanted for item in given)


class CampaignQuerySet(ScopedQuerySet):
    def restrict(self, user, action: str = "view"):
        """A campaign lies in its place (a community or a street); for reading, the grid
        workers and leaders of the grids under it see it too, once it is no draft."""
        from wangge.core.scope import get_scope, permission_name, subtree_q
        from wangge.territory.models import Node

        scope = get_scope(user)
        perm = permission_name(self.model, action)
        if scope.unrestricted or scope.covers_roots(perm):
            return self.all()
        paths = scope.paths(perm)
        if not paths:
            return self.none()
        mine = Node.objects.filter(subtree_q(paths)).values("pk")
        if action != "view":
            return self.filter(node__in=mine)
        above = {int(part) for path in paths for part in path.strip("/").split("/")[:-1]}
        return self.filter(Q(node__in=mine) | (Q(node__in=above) & ~Q(state=CampaignState.DRAFT)))


class Campaign(models.Model):
    """An inspection campaign (排查) in a community or street."""

    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=CampaignKind.choices)
    checklist = models.ForeignKey(
        Checklist, verbose_name=_("checklist"), on_delete=models.PROTECT, related_name="+"
    )
    node = models.ForeignKey(
        "territory.Node", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    state = models.CharField(
        _("state"), max_length=16, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = CampaignQuerySet.as_manager()
    scope_field = "node"

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.title


class CampaignTeam(models.Model):
    """The team that checks one grid of a campaign's place."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="teams"
    )
    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    leader = models.ForeignKey(
        "accounts.User",
        verbose_name=_("team leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    members = models.ManyToManyField(
        "accounts.User", verbose_name=_("members"), blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("campaign team")
        verbose_name_plural = _("campaign teams")
        ordering = ["campaign", "grid__code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "grid"], name="fieldwork_team_one_per_grid")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.grid_id}"


class Check(models.Model):
    """One building, dwelling or public place checked against the campaign's checklist."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="checks"
    )
    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        "territory.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dwelling = models.ForeignKey(
        "territory.Dwelling",
        verbose_name=_("dwelling"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    place_name = models.CharField(_("public place"), max_length=100, blank=True)
    lng = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    lat = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)
    checked_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=CheckResult.choices)
    hazards = models.JSONField(_("hazards found"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    cases = models.ManyToManyField(
        "cases.Case", verbose_name=_("cases opened"), blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("check")
        verbose_name_plural = _("checks")
        ordering = ["-checked_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "building"], name="fieldwork_check_building"),
            models.Index(fields=["campaign", "grid"], name="fieldwork_check_grid"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.building_id or self.place_name}"


class CheckPhoto(models.Model):
    """A photo taken on a check: checked, re-encoded without metadata, as cases' photos are."""

    check_row = models.ForeignKey(
        Check, verbose_name=_("check"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("image"), upload_to="campaigns/%Y/%m/")
    thumbnail = models.FileField(_("thumbnail"), upload_to="campaigns/%Y/%m/thumbs/")
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField(_("size"))
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "check_row__grid"

    class Meta:
        verbose_name = _("check photo")
        verbose_name_plural = _("check photos")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.check_row_id} photo {self.pk}"


# --- Team and errands ---------------------------------------------------------------------------
# The grid team (网格团队): the helpers of a grid — building heads, party members, police,
# property staff, volunteers — hold a membership (accounts); a duty names a building a member
# looks after, a contact card their phone number. Care errands (帮办代办) are done for people
# of the register who need care, by a helper of the person's grid, and rated by the person.


class TeamDuty(models.Model):
    """A building a member of a grid team looks after (a building head's building, the
    property office's compound …): a membership and a building in its reach."""

    membership = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("membership"),
        on_delete=models.CASCADE,
        related_name="duties",
    )
    building = models.ForeignKey(
        "territory.Building",
        verbose_name=_("building"),
        on_delete=models.CASCADE,
        related_name="duties",
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "building__grid"

    class Meta:
        verbose_name = _("building looked after")
        verbose_name_plural = _("buildings looked after")
        ordering = ["building__grid__path", "building__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "building"], name="fieldwork_teamduty_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} → {self.building_id}"


class TeamContact(models.Model):
    """How to reach a member of a grid team: a phone number, encrypted, masked when shown."""

    membership = models.OneToOneField(
        "accounts.Membership",
        verbose_name=_("membership"),
        on_delete=models.CASCADE,
        related_name="contact",
    )
    phone = EncryptedCharField(_("phone"), mask=mask_phone)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "membership__node"

    class Meta:
        verbose_name = _("team contact")
        verbose_name_plural = _("team contacts")

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.phone_masked}"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class ErrandKind(models.Model):
    """A kind of errand (跑腿, 代办证件, 代购, 陪同就医 …): a standard kept as data
    (``fixtures/errand_kinds.json``), edited in the admin."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("kind of errand")
        verbose_name_plural = _("kinds of errand")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class ErrandState(models.TextChoices):
    OPEN = "open", _("Open")
    ASSIGNED = "assigned", _("Assigned")
    DONE = "done", _("Done")
    RATED = "rated", _("Rated")
    CANCELLED = "cancelled", _("Cancelled")


class ErrandSource(models.TextChoices):
    """How the errand came to be asked for."""

    PERSON = "person", _("The person asked")
    FAMILY = "family", _("Family or neighbours asked for them")
    VISIT = "visit", _("Found on a visit")
    STAFF = "staff", _("Staff saw the need")


class RatingWay(models.TextChoices):
    """How the person's rating was taken down, and so who can vouch for it."""

    IN_PERSON = "in_person", _("Told the helper in person")
    CALLBACK = "callback", _("Told staff on a phone call back")


# The helpers of a grid team: they see places at most, never the register's people, and of the
# errands only those given to them (or, looking after buildings, those of their residents).
HELPER_ROLES = frozenset({"building_head", "party_member", "police", "property", "volunteer"})


class CareRequestQuerySet(ScopedQuerySet):
    def restrict(self, user, action: str = "view"):
        """Scope as everywhere for offices, grid leaders and grid workers; a helper (building
        head, party member, police, property, volunteer) sees and changes only the errands
        given to them, and a helper who looks after buildings also sees the errands of the
        people living there."""
        from django.apps import apps

        from wangge.accounts.permissions import role_allows
        from wangge.core.scope import get_scope, permission_name, subtree_q

        scope = get_scope(user)
        if scope.unrestricted:
            return self.all()
        perm = permission_name(self.model, action)
        full = sorted(
            {
                grant.path
                for grant in scope.grants
                if grant.role not in HELPER_ROLES and role_allows(grant.role, perm)
            }
        )
        helper = any(
            grant.role in HELPER_ROLES and role_allows(grant.role, perm) for grant in scope.grants
        )
        condition = None
        if full:
            Node = apps.get_model("territory", "Node")
            condition = Q(grid__in=Node.objects.filter(subtree_q(full)).values("pk"))
        if helper:
            mine = Q(assignee=user)
            if action == "view":
                looked_after = TeamDuty.objects.filter(
                    membership__user=user, membership__is_active=True
                ).values("building_id")
                mine |= Q(person__household__dwelling__building_id__in=looked_after)
            condition = mine if condition is None else condition | mine
        return self.none() if condition is None else self.filter(condition)


class CareRequest(models.Model):
    """An errand (帮办代办) done for a person who needs care: asked for, given to a helper of
    the person's grid, done (what, when, minutes spent) and rated by the person served."""

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.ForeignKey(
        ErrandKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="requests"
    )
    description = models.TextField(_("what is needed"), max_length=inputs.DESCRIPTION)
    source = models.CharField(
        _("asked by"), max_length=16, choices=ErrandSource.choices, default=ErrandSource.PERSON
    )
    visit = models.ForeignKey(
        "people.Visit",
        verbose_name=_("visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    wanted_by = models.DateField(_("wanted by"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=ErrandState.choices, default=ErrandState.OPEN
    )
    raised_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("raised by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    assignee = models.ForeignKey(
        "accounts.User",
        verbose_name=_("helper"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="errands",
    )
    assigned_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, db_index=True)
    minutes = models.PositiveIntegerField(_("minutes spent"), null=True, blank=True)
    done_note = models.TextField(_("what was done"), blank=True, max_length=inputs.NOTE)
    photo = models.FileField(_("photo or receipt"), upload_to="errands/%Y/%m/", blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_words = models.TextField(_("in their words"), blank=True, max_length=inputs.NOTE)
    rating_way = models.CharField(
        _("rating taken"), max_length=16, choices=RatingWay.choices, blank=True
    )
    rated_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("rating recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("why cancelled"), blank=True, max_length=inputs.NOTE)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CareRequestQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("errand")
        verbose_name_plural = _("errands")
        ordering = ["-raised_at", "-id"]
        permissions = [
            ("assign_carerequest", "Can assign an errand to a helper"),
            ("cancel_carerequest", "Can cancel an errand"),
        ]
        indexes = [models.Index(fields=["assignee", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="fieldwork_carerequest_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind.name} #{self.pk}"

    @property
    def is_closed(self) -> bool:
        return self.state in {ErrandState.RATED, ErrandState.CANCELLED}


# --- Disputes ---
# 矛盾纠纷与人民调解: a dispute taken in by a grid (from a case, a screening drive, a walk-in),
# its parties (personal data encrypted, shown masked), the mediation sessions, the outcome —
# a written agreement (调解协议书), an oral one, none, or referred on — and the follow-up
# visits (回访). Written only through ``fieldwork.services.disputes``.


def mask_name(value: str | None) -> str:
    """``李秀兰`` → ``李**``: the first character (the family name), then two stars
    whatever the length (the length would tell a name apart)."""
    if not value:
        return ""
    return value[0] + "**"


def mask_address(value: str | None) -> str:
    """``郑州市中原区航海西路7号院2号楼2单元201`` → ``郑州市中原区****``: the first six
    characters (the city and district), never the door."""
    if not value:
        return ""
    return value[:6] + "****" if len(value) > 6 else "*" * len(value)


class DisputeKind(models.Model):
    """A kind of dispute (邻里、婚姻家庭、物业 …) — a standard kept as data, seeded from
    ``fixtures/dispute_kinds.json``."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("kind of dispute")
        verbose_name_plural = _("kinds of dispute")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class DisputeSource(models.TextChoices):
    CASE = "case", _("From a case")
    SCREENING = "screening", _("Screening drive")
    WALK_IN = "walk_in", _("Walk-in")
    OTHER = "other", _("Other")


class DisputeState(models.TextChoices):
    INTAKE = "intake", _("Taken in")
    MEDIATING = "mediating", _("Being mediated")
    AGREED = "agreed", _("Agreement reached")
    ORAL = "oral", _("Oral agreement")
    FAILED = "failed", _("No agreement")
    REFERRED = "referred", _("Referred on")
    CLOSED = "closed", _("Closed")


# The states a dispute has an outcome in (a follow-up visit may be recorded).
OUTCOME_STATES = {
    DisputeState.AGREED,
    DisputeState.ORAL,
    DisputeState.FAILED,
    DisputeState.REFERRED,
}
OPEN_STATES = {DisputeState.INTAKE, DisputeState.MEDIATING}


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    RESPONDENT = "respondent", _("Respondent")


class Dispute(models.Model):
    """A dispute (矛盾纠纷) taken in for people's mediation in a grid."""

    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.ForeignKey(
        DisputeKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    facts = models.TextField(_("facts"), max_length=inputs.DESCRIPTION)
    points = models.TextField(_("points in dispute"), blank=True, max_length=inputs.NOTE)
    source = models.CharField(
        _("source"), max_length=16, choices=DisputeSource.choices, default=DisputeSource.OTHER
    )
    drive = models.CharField(
        _("screening drive"),
        max_length=200,
        blank=True,
        help_text=_("The screening drive it was found in, e.g. 矛盾纠纷排查化解."),
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("screening campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="disputes",
        help_text=_("The dispute screening campaign (矛盾纠纷排查) it was found in."),
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mediators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("mediators"), blank=True, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=DisputeState.choices, default=DisputeState.INTAKE
    )
    outcome_note = models.TextField(_("outcome"), blank=True, max_length=inputs.NOTE)
    referred_to = models.CharField(_("referred to"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("taken in"), default=timezone.now, db_index=True)
    outcome_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken in by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def number(self) -> str:
        """The file's number (调解卷宗号): the year taken in and the id."""
        return f"TJ{timezone.localtime(self.received_at):%Y}-{self.pk:05d}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class DisputeParty(models.Model):
    """A party to a dispute: a person of the register (who lives here), or someone typed in
    (name, phone, ID number and address encrypted, shown masked)."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="parties"
    )
    role = models.CharField(_("role"), max_length=16, choices=PartyRole.choices)
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person (registered)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = EncryptedCharField(_("name"), mask=mask_name)
    phone = EncryptedCharField(_("phone"), mask=mask_phone)
    id_number = EncryptedCharField(_("ID number"), mask=mask_id_number)
    address = EncryptedCharField(_("address"), mask=mask_address)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedQuerySet.as_manager()
    scope_field = "dispute__grid"

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["dispute_id", "sort", "id"]

    def __str__(self) -> str:
        # Audit events keep this text: masked.
        return f"{self.get_role_display()} {mask_name(self.full_name)}"

    @property
    def full_name(self) -> str:
        return self.person.name if self.person_id else self.name


class MediationSession(models.Model):
    """One mediation (调解记录): when, where, who came, what was said, by which mediators."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="sessions"
    )
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    present = models.ManyToManyField(
        DisputeParty, verbose_name=_("parties present"), blank=True, related_name="+"
    )
    mediators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("mediators"), blank=True, related_name="+"
    )
    record = models.TextField(_("record"), max_length=inputs.NOTE)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_field = "dispute__grid"

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["dispute_id", "held_on", "id"]

    def __str__(self) -> str:
        return f"{self.dispute_id}: {self.held_on}"


class Agreement(models.Model):
    """The agreement a mediation reached: written (调解协议书, with what the People's
    Mediation Law asks of it) or oral (recorded as text)."""

    dispute = models.OneToOneField(
        Dispute, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="agreement"
    )
    oral = models.BooleanField(_("oral agreement"), default=False)
    facts = models.TextField(_("main facts"), blank=True, max_length=inputs.DESCRIPTION)
    responsibilities = models.TextField(
        _("points in dispute and responsibilities"), blank=True, max_length=inputs.NOTE
    )
    terms = models.TextField(_("terms agreed"), max_length=inputs.NOTE)
    performance = models.CharField(_("manner of performance"), max_length=200, blank=True)
    deadline = models.DateField(_("performed by"), null=True, blank=True)
    signed = models.BooleanField(_("signed"), default=False)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_field = "dispute__grid"

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def __str__(self) -> str:
        return f"{self.dispute_id}: {self.dispute.title}"


class FollowUp(models.Model):
    """A follow-up visit (回访) after the outcome: is the agreement carried out, are the
    parties satisfied, is there a risk the dispute flares up again."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    visited_on = models.DateField(_("date"))
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    carried_out = models.BooleanField(_("carried out"))
    satisfied = models.BooleanField(_("satisfied"))
    risk = models.BooleanField(_("risk of escalation"))
    note = models.TextField(_("note"), blank=True, max_length=inputs.NOTE)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_field = "dispute__grid"

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["dispute_id", "visited_on", "id"]

    def __str__(self) -> str:
        return f"{self.dispute_id}: {self.visited_on}"


# --- Patrols ---


class PatrolKind(models.TextChoices):
    """How a patrol is walked: freely (一般巡查) or from checkpoint to checkpoint, each QR code
    scanned on the way (扫码巡查)."""

    ORDINARY = "ordinary", _("Ordinary patrol")
    CHECKPOINT = "checkpoint", _("Patrol with checkpoints")


class PatrolState(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("patrol", "Planned")
    UNDERWAY = "underway", pgettext_lazy("patrol", "Underway")
    FINISHED = "finished", pgettext_lazy("patrol", "Finished")
    CANCELLED = "cancelled", pgettext_lazy("patrol", "Cancelled")


class PatrolQuerySet(ScopedQuerySet):
    """A patrol is seen where its place is in scope, and by its leader and members wherever
    it goes (a grid worker in a group patrol of the whole community, a party member)."""

    def restrict(self, user, action: str = "view"):
        scoped = super().restrict(user, action)
        if action != "view" or not getattr(user, "is_authenticated", False):
            return scoped
        if get_scope(user).unrestricted:
            return scoped
        walked = Patrol.objects.filter(Q(leader=user) | Q(members=user)).values("pk")
        return self.filter(Q(pk__in=scoped.values("pk")) | Q(pk__in=walked))


class Patrol(models.Model):
    """A worker or a group walking a grid (巡查): planned for a window or started on the spot,
    its trace sent from the phone in batches, its findings made cases of the closed loop.

    ``distance_m`` and ``duration_s`` are derived from the trace (``patrols.measure``): only
    what lies within its segments counts, never a gap (no fix, screen off, no network)."""

    grid = models.ForeignKey(
        "territory.Node",
        verbose_name=_("grid or community"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=PatrolKind.choices, default=PatrolKind.ORDINARY
    )
    state = models.CharField(
        _("state"), max_length=16, choices=PatrolState.choices, default=PatrolState.UNDERWAY
    )
    planned = models.BooleanField(_("planned"), default=False)
    planned_start = models.DateTimeField(_("planned from"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned until"), null=True, blank=True)
    leader = models.ForeignKey(
        "accounts.User",
        verbose_name=_("leader"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    members = models.ManyToManyField(
        "accounts.User", verbose_name=_("members"), related_name="+", blank=True
    )
    note = models.CharField(_("route or purpose"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True, db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("distance (m)"), default=0)
    duration_s = models.PositiveIntegerField(_("time walked (s)"), default=0)
    point_count = models.PositiveIntegerField(_("points"), default=0)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PatrolQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-planned_start", "-pk"]
        indexes = [models.Index(fields=["state", "started_at"])]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.started_at or self.planned_start or ''}"


class TracePoint(models.Model):
    """A fix of the phone on a patrol (WGS-84), sent in a batch; ``gap_before``: the phone
    says it had no fix (or no screen, or was stopped) just before this one."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="points"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    lng = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    accuracy = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    gap_before = models.BooleanField(_("gap before"), default=False)
    batch = models.CharField(_("batch"), max_length=64, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "patrol__grid"

    class Meta:
        verbose_name = _("trace point")
        verbose_name_plural = _("trace points")
        ordering = ["patrol_id", "recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patrol", "recorded_at"], name="fieldwork_tracepoint_once_a_moment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patrol_id} {self.recorded_at:%H:%M:%S}"


class Checkpoint(models.Model):
    """A place a checkpoint patrol passes (扫码巡查): a QR code on a building or a gate; its
    ``code`` is what the QR code opens and what a worker may type."""

    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.CASCADE, related_name="+"
    )
    building = models.ForeignKey(
        "territory.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=16, unique=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["grid__path", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class CheckpointScan(models.Model):
    """A checkpoint passed on a patrol (once a patrol: a second scan is the first one)."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="scans"
    )
    checkpoint = models.ForeignKey(
        Checkpoint, verbose_name=_("checkpoint"), on_delete=models.CASCADE, related_name="+"
    )
    scanned_at = models.DateTimeField(_("scanned at"))
    scanned_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("scanned by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "patrol__grid"

    class Meta:
        verbose_name = _("checkpoint scan")
        verbose_name_plural = _("checkpoint scans")
        ordering = ["patrol_id", "scanned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patrol", "checkpoint"], name="fieldwork_checkpointscan_once_a_patrol"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patrol_id} {self.checkpoint_id}"


class PatrolFinding(models.Model):
    """A problem found on a patrol, made a case of the closed loop (channel: patrol)."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="findings"
    )
    case = models.OneToOneField(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="+"
    )
    found_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("found by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "patrol__grid"

    class Meta:
        verbose_name = _("patrol finding")
        verbose_name_plural = _("patrol findings")
        ordering = ["patrol_id", "pk"]

    def __str__(self) -> str:
        return f"{self.patrol_id} → {self.case_id}"
