"""Field work's grid team (网格团队) and care errands (帮办代办)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core import inputs
from wangge.core.crypto import mask_phone
from wangge.core.fields import EncryptedCharField
from wangge.core.scope import ScopedQuerySet, get_scope

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
        from wangge.core.scope import permission_name, subtree_q

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
