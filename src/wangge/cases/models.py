from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.cases.choices import (
    Channel,
    ExtensionState,
    Kind,
    LimitUnit,
    Mark,
    Rating,
    Stage,
    State,
    TargetKind,
    TaskState,
)
from wangge.core import inputs
from wangge.core.crypto import mask_phone
from wangge.core.fields import EncryptedCharField
from wangge.core.scope import ScopedQuerySet, get_scope, permission_name, subtree_q

USER = settings.AUTH_USER_MODEL


# --- Standards as data: categories, time limits, the calendar -----------------------------------


class CategoryTree(models.Model):
    """A published version of the category tree, with where it came from."""

    version = models.CharField(_("version"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    source = models.TextField(_("source"), blank=True, max_length=inputs.DESCRIPTION)
    is_current = models.BooleanField(_("current"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("category tree")
        verbose_name_plural = _("category trees")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} {self.version}"


class Category(models.Model):
    """What a case is about: a node of the category tree."""

    tree = models.ForeignKey(CategoryTree, on_delete=models.CASCADE, related_name="categories")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=64)
    description = models.TextField(_("description"), blank=True, max_length=inputs.DESCRIPTION)
    default_kind = models.CharField(
        _("default kind"), max_length=16, choices=Kind.choices, default=Kind.PROMISED
    )
    duplicate_radius_m = models.PositiveIntegerField(_("duplicate radius (m)"), default=100)
    duplicate_window_days = models.PositiveSmallIntegerField(
        _("duplicate window (days)"), default=7
    )
    form = models.ForeignKey(
        "core.Form", verbose_name=_("questions"), null=True, blank=True, on_delete=models.SET_NULL
    )
    public = models.BooleanField(
        _("offered to residents"), default=True, help_text=_("On resident pages and Open311.")
    )
    counts_as_problem = models.BooleanField(
        _("a problem to solve"),
        default=True,
        help_text=_(
            "Off for praise and thanks: recorded, thanked and closed at once, and never counted "
            "in the rates, the late marks or the dashboard."
        ),
    )
    urgent_when = models.JSONField(
        _("urgent when answered"),
        default=dict,
        blank=True,
        help_text=_(
            'Answers that make a case urgent, e.g. {"trapped": true}: it then runs on the '
            "urgent time limits."
        ),
    )
    agency = models.ForeignKey(
        "Agency",
        verbose_name=_("usually handed to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The outside agency whose work it usually is: offered first on handing over."),
    )
    urgent_agency = models.ForeignKey(
        "Agency",
        verbose_name=_("when urgent, call"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Who to call at once when the case is urgent (119 for people trapped)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["tree", "sort", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tree", "code"], name="cases_category_unique_code")
        ]

    def __str__(self):
        return self.name

    @property
    def is_leaf(self) -> bool:
        return not self.children.exists()

    def is_urgent(self, answers: dict | None) -> bool:
        """Whether ``answers`` (a case's cleaned answers) make a case of this category urgent."""
        given = answers or {}
        return bool(self.urgent_when) and all(
            given.get(code) == value for code, value in self.urgent_when.items()
        )


class StageLimit(models.Model):
    """How long a stage may take, for a category (and those below it) or the whole tree."""

    tree = models.ForeignKey(CategoryTree, on_delete=models.CASCADE, related_name="limits")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="limits"
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    urgent = models.BooleanField(
        _("for urgent cases"),
        default=False,
        help_text=_("Applies to the urgent cases of the category (see “urgent when answered”)."),
    )
    amount = models.DecimalField(_("amount"), max_digits=6, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=16, choices=LimitUnit.choices)
    warn_ratio = models.DecimalField(
        _("yellow after"),
        max_digits=3,
        decimal_places=2,
        default=0.75,
        help_text=_("Share of the time limit after which the case is marked yellow."),
    )

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        constraints = [
            models.UniqueConstraint(
                fields=["tree", "category", "stage", "urgent"], name="cases_stagelimit_unique"
            )
        ]

    def __str__(self):
        return (
            f"{self.category or self.tree} {self.get_stage_display()} {self.amount:g} {self.unit}"
        )


class CalendarDay(models.Model):
    """An administrator's override of the national working-day calendar."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'workday' if self.is_workday else 'holiday'}"


class Agency(models.Model):
    """An outside agency cases are handed to (转办): aid station, heating company …"""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=32, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=inputs.NOTE)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("outside agency")
        verbose_name_plural = _("outside agencies")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Team(models.Model):
    """People who take cases together (a community's repair team, a property office)."""

    node = models.ForeignKey(
        "territory.Node", verbose_name=_("territory node"), on_delete=models.PROTECT
    )
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(USER, verbose_name=_("members"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "node"

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name


class RoutingRule(models.Model):
    """Grid × category × kind → who gets the case. The first active match, by position, wins."""

    position = models.PositiveIntegerField(_("position"))
    node = models.ForeignKey(
        "territory.Node",
        verbose_name=_("within"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Empty: everywhere."),
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Also matches the categories below it. Empty: any."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, blank=True)
    target_kind = models.CharField(_("send to"), max_length=8, choices=TargetKind.choices)
    user = models.ForeignKey(
        USER, verbose_name=_("person"), null=True, blank=True, on_delete=models.CASCADE
    )
    role = models.CharField(_("role"), max_length=32, blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "node"

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]

    def __str__(self):
        return f"#{self.position} → {self.get_target_kind_display()}"


# --- The case and what happens to it ------------------------------------------------------------


class CaseQuerySet(ScopedQuerySet):
    # Up to this many cases given to someone outside their places are named by their ids;
    # beyond, by a subquery (slower to count over: the database cannot use an index for it).
    GIVEN_BY_ID = 2000

    def restrict(self, user, action: str = "view"):
        """Scope as everywhere, and besides: the cases whose tasks are assigned to ``user``
        (a property office or a police officer sees what it was given to do).

        The grids in scope are named by their ids, so the database estimates how many cases
        they hold from its statistics (it cannot from a subquery on paths, and would plan a
        street's list as if it held a few). Only the tasks outside the user's places add
        anything; they are few, so they are looked up first, from the tasks alone (each
        knows its case's grid). With none, the condition is the scope's alone, which the
        database answers from its indexes: an ``OR`` with a subquery would have it read
        every case to count a page.
        """
        scoped = super().restrict(user, action)
        if not scoped.query.has_filters():  # every case
            return scoped
        paths = get_scope(user).paths(permission_name(self.model, action))
        grids = []
        if paths:
            Node = apps.get_model("territory", "Node")
            grids = list(Node.objects.filter(subtree_q(paths)).values_list("pk", flat=True))
            scoped = self.filter(grid_id__in=grids)
        if action not in {"view", "handle"} or user is None or not user.is_authenticated:
            return scoped
        given = Task.objects.filter(assignee=user).exclude(grid_id__in=grids).order_by()
        ids = list(given.values_list("case_id", flat=True).distinct()[: self.GIVEN_BY_ID + 1])
        if not ids:
            return scoped
        if len(ids) > self.GIVEN_BY_ID:
            return scoped | self.filter(pk__in=given.values("case"))
        return self.filter(Q(grid_id__in=grids) | Q(pk__in=ids))


class TaskQuerySet(ScopedQuerySet):
    def restrict(self, user, action: str = "view"):
        """Scope as everywhere, and besides: the tasks assigned to ``user`` wherever they lie
        (我的待办 of a property office or a police officer outside the territory tree)."""
        scoped = super().restrict(user, action)
        if action in {"view", "handle"} and user is not None and user.is_authenticated:
            return scoped | self.filter(assignee=user)
        return scoped


class Case(models.Model):
    """A problem a resident raised or a worker found, followed until it is solved."""

    number = models.CharField(_("case number"), max_length=20, unique=True, editable=False)
    tracking_code = models.CharField(_("tracking code"), max_length=12, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True, max_length=inputs.DESCRIPTION)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    urgent = models.BooleanField(
        _("urgent"),
        default=False,
        help_text=_("Its answers made it urgent (someone trapped, someone hurt): short limits."),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.REPORTED
    )
    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.ForeignKey(
        "territory.Node",
        verbose_name=_("responsible level"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Set when the case was escalated: the community or street now holding it."),
    )
    lng = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    lat = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    building = models.ForeignKey(
        "territory.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    attributes = models.JSONField(_("answers"), default=dict, blank=True)

    reporter_name = models.CharField(_("reporter"), max_length=64, blank=True)
    reporter_phone = EncryptedCharField(_("reporter's phone"), mask=mask_phone)
    reporter_phone_hash = models.CharField(max_length=40, blank=True, db_index=True)
    reporter_person = models.ForeignKey(
        "people.Person",
        verbose_name=_("reporter (registered)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_by = models.ForeignKey(
        USER,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_("Listed on public feeds and Open311 (never with the reporter's details)."),
    )
    external_source = models.CharField(_("outside system"), max_length=16, blank=True)
    external_id = models.CharField(_("outside id"), max_length=64, blank=True)

    handler = models.ForeignKey(
        USER,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("handed to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    project_ref = models.CharField(_("project"), max_length=100, blank=True)

    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, blank=True)
    stage_started_at = models.DateTimeField(_("stage started"), null=True, blank=True)
    stage_deadline = models.DateTimeField(_("stage deadline"), null=True, blank=True)
    stage_warn_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField(_("to be accepted by"), null=True, blank=True)
    due_at = models.DateTimeField(_("promised by"), null=True, blank=True)
    mark = models.CharField(_("mark"), max_length=8, choices=Mark.choices, blank=True)
    escalations = models.PositiveSmallIntegerField(_("escalations"), default=0)

    created_at = models.DateTimeField(_("received at"), db_index=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    done_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    parked_until = models.DateField(_("review parked case on"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    rework_count = models.PositiveSmallIntegerField(_("reworked"), default=0)
    rating = models.CharField(_("rating"), max_length=16, choices=Rating.choices, blank=True)
    rating_comment = models.TextField(_("resident's words"), blank=True, max_length=inputs.NOTE)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CaseQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "grid"]),
            models.Index(fields=["grid", "created_at"]),
            models.Index(fields=["category", "created_at"]),
            models.Index(fields=["handler", "state"]),
            models.Index(fields=["stage_deadline"]),
            # The list's counts by state and category within a place, from the index alone.
            models.Index(fields=["grid", "state", "category"]),
            # Marked cases (yellow, red) are a few open ones: the late queue and the dashboard.
            models.Index(fields=["mark", "grid"], condition=~Q(mark=""), name="cases_case_marked"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_source", "external_id"],
                condition=~models.Q(external_id=""),
                name="cases_case_unique_external",
            )
        ]

    def __str__(self):
        return f"{self.number} {self.title}"


class Task(models.Model):
    """A work order inside a case: one party's part of the work."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    # The case's grid, copied when the task is made (a case never moves): work given to
    # someone outside their own places is found from the tasks alone (``Case.restrict``).
    grid = models.ForeignKey(
        "territory.Node",
        null=True,
        blank=True,
        editable=False,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee = models.ForeignKey(
        USER,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT
    )
    state = models.CharField(
        _("state"), max_length=16, choices=TaskState.choices, default=TaskState.DISPATCHED
    )
    instructions = models.TextField(_("instructions"), blank=True, max_length=inputs.NOTE)
    result = models.TextField(_("result"), blank=True, max_length=inputs.NOTE)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    created_at = models.DateTimeField(_("dispatched at"), auto_now_add=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    objects = TaskQuerySet.as_manager()
    scope_field = "case__grid"

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "state"]),
            models.Index(fields=["assignee", "grid", "case"]),
        ]

    def __str__(self):
        return f"{self.case.number} → {self.assignee or self.team}"

    def save(self, *args, **kwargs):
        if self.grid_id is None and self.case_id is not None:
            self.grid_id = self.case.grid_id
        super().save(*args, **kwargs)


class CaseEvent(models.Model):
    """One step of a case's timeline: its internal note, and the reply written for the
    resident when there is one (``cases/public_text.py`` says which steps are public)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16, blank=True)
    actor = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("who"), max_length=150, blank=True)
    at = models.DateTimeField(_("time"))
    note = models.TextField(
        _("internal note"),
        blank=True,
        max_length=inputs.NOTE,
        help_text=_("For staff only, never shown to residents."),
    )
    reply = models.CharField(
        _("reply to the resident"),
        max_length=500,
        blank=True,
        help_text=_("Written for the resident: the tracking page, Open311 and messages show it."),
    )
    public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_(
            "Shown to the resident: the step has a reply, or it is a change shown in plain words."
        ),
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "case__grid"

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self):
        return f"{self.case_id} {self.action}"


class Photo(models.Model):
    """A photo of a case; location metadata is stripped from the stored image."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    image = models.FileField(_("image"), upload_to="cases/%Y/%m/")
    thumbnail = models.FileField(_("thumbnail"), upload_to="cases/%Y/%m/thumbs/")
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField(_("size"))
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    taken_lng = models.FloatField(_("where taken (longitude)"), null=True, blank=True)
    taken_lat = models.FloatField(_("where taken (latitude)"), null=True, blank=True)
    public = models.BooleanField(_("public"), default=False)
    uploaded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "case__grid"

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.case_id} photo {self.pk}"


class Extension(models.Model):
    """A request for more time, and its decision."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    amount = models.DecimalField(_("extra time"), max_digits=6, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=16, choices=LimitUnit.choices)
    reason = models.TextField(_("reason"), max_length=inputs.NOTE)
    state = models.CharField(
        _("state"), max_length=16, choices=ExtensionState.choices, default=ExtensionState.PENDING
    )
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True, max_length=inputs.NOTE)
    # The promised time this extension moved, once approved: the first approved one's is the
    # promise the category's extension rule counts from.
    due_before = models.DateTimeField(_("due before the extension"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "case__grid"

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")

    def __str__(self):
        return f"{self.case_id} +{self.amount:g} {self.unit}"


class Follower(models.Model):
    """Someone who follows a case's progress (a resident by tracking code, or a user)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.CASCADE)
    phone = EncryptedCharField(_("phone"), mask=mask_phone)
    phone_hash = models.CharField(max_length=40, blank=True)
    via = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The duplicate through which they came to follow this case."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")

    def __str__(self):
        return f"{self.case_id} ← {self.user or mask_phone(self.phone)}"


class RollupCounts(models.Model):
    """The counts behind the rates (``metrics.COUNTS``), summed over a roll-up row's cases."""

    received = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    responded_in_time = models.IntegerField(default=0)
    done = models.IntegerField(default=0)
    done_in_time = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)
    handling_seconds = models.BigIntegerField(default=0)

    # Figures of cases, read through ``restrict`` like them: in the grids of the caller's
    # places, under the cases' permissions.
    objects = ScopedQuerySet.as_manager()
    scope_field = "grid_id"
    scope_permissions_of = Case

    class Meta:
        abstract = True


class CaseRollup(RollupCounts):
    """Counts behind the rates, per month of receipt × grid × category × handler.

    Kept current by the services (each change moves its case's counts), so the rates of a
    street over a year sum a few thousand rows instead of scanning every case.
    """

    month = models.DateField()
    grid_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    handler_id = models.BigIntegerField(default=0)  # 0: no handler yet

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "grid_id", "category_id", "handler_id"],
                name="cases_rollup_unique",
            )
        ]
        indexes = [models.Index(fields=["grid_id", "month"])]

    def __str__(self):
        return f"{self.month:%Y-%m} grid {self.grid_id} category {self.category_id}"


class GridRollup(RollupCounts):
    """The same counts per month of receipt × grid only: what a place's rates over a period
    sum when no category or handler is asked for — a street's year is at most its grids ×
    12 rows, however many cases it had."""

    month = models.DateField()
    grid_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["grid_id", "month"], name="cases_gridrollup_unique")
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} grid {self.grid_id}"


class ChannelRollup(models.Model):
    """Cases received per month of receipt × grid × channel (merged and void ones count
    nowhere, as in the other roll-ups): a place's channels over a period sum a few hundred
    rows instead of reading every case it received."""

    month = models.DateField()
    grid_id = models.BigIntegerField()
    channel = models.CharField(max_length=16)
    received = models.IntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid_id"
    scope_permissions_of = Case

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grid_id", "month", "channel"], name="cases_channelrollup_unique"
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} grid {self.grid_id} {self.channel}"
