import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core import inputs
from wangge.core.crypto import mask_id_number, mask_phone
from wangge.core.fields import EncryptedCharField
from wangge.core.scope import ScopedQuerySet
from wangge.people.choices import (
    DisabilityCategory,
    DisabilityGrade,
    PersonStatus,
    Relation,
    ResidenceType,
    Sex,
    VisitKind,
)


class CareTag(models.Model):
    """A kind of care a person needs (独居老人, 残疾人 …): an editable list."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=inputs.DESCRIPTION)
    # 残疾人 carries a category and a grade.
    has_disability_detail = models.BooleanField(_("records disability category and grade"))
    sort = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("care tag")
        verbose_name_plural = _("care tags")
        ordering = ["sort", "code"]

    def __str__(self):
        return self.name


class Household(models.Model):
    """A household (户) living in a dwelling, with its members."""

    number = models.CharField(_("household number"), max_length=32, unique=True)
    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    dwelling = models.ForeignKey(
        "territory.Dwelling",
        verbose_name=_("dwelling"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
    )
    residence_type = models.CharField(
        _("residence type"),
        max_length=16,
        choices=ResidenceType.choices,
        default=ResidenceType.REGISTERED,
    )
    note = models.TextField(_("note"), blank=True, max_length=inputs.NOTE)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["grid__path", "number"]

    def __str__(self):
        return self.number


class Person(models.Model):
    """A resident. ID number and phone are encrypted, hashed for duplicates, masked when shown."""

    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    relation = models.CharField(
        _("relation to head"), max_length=16, choices=Relation.choices, blank=True
    )
    name = models.CharField(_("name"), max_length=64)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_number = EncryptedCharField(_("ID number"), mask=mask_id_number)
    id_number_hash = models.CharField(max_length=40, null=True, blank=True, unique=True)
    phone = EncryptedCharField(_("phone"), mask=mask_phone)
    phone_hash = models.CharField(max_length=40, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PersonStatus.choices, default=PersonStatus.ACTIVE
    )
    note = models.TextField(_("note"), blank=True, max_length=inputs.NOTE)
    care_tags = models.ManyToManyField(
        CareTag, verbose_name=_("care tags"), through="PersonTag", blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["grid__path", "household__number", "id"]

    def __str__(self):
        return self.name

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    def age(self, on: datetime.date | None = None) -> int | None:
        if not self.birth_date:
            return None
        on = on or datetime.date.today()
        born = self.birth_date
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class PersonTag(models.Model):
    """A care tag on a person, with what it needs (a disability's category and grade)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(CareTag, on_delete=models.PROTECT, related_name="person_links")
    disability_category = models.CharField(
        _("disability category"), max_length=16, choices=DisabilityCategory.choices, blank=True
    )
    disability_grade = models.PositiveSmallIntegerField(
        _("disability grade"), choices=DisabilityGrade.choices, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "person__grid"

    class Meta:
        verbose_name = _("care tag of a person")
        verbose_name_plural = _("care tags of persons")
        constraints = [
            models.UniqueConstraint(fields=["person", "tag"], name="people_persontag_unique")
        ]

    def __str__(self):
        return f"{self.person} · {self.tag}"


class Visit(models.Model):
    """A grid worker's home visit (入户走访), phone call or chance meeting with a household."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="visits"
    )
    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=VisitKind.choices, default=VisitKind.HOME
    )
    visited_at = models.DateTimeField(_("visited at"), db_index=True)
    notes = models.TextField(_("notes"), blank=True, max_length=inputs.NOTE)
    # Where the visitor's phone was (WGS-84, from the browser), when they chose to give it.
    lng = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    lat = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)
    # A case of the household the visit was about (a follow-up, a problem found at the door).
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at"]
        indexes = [models.Index(fields=["household", "visited_at"])]

    def __str__(self):
        return f"{self.household} {self.visited_at:%Y-%m-%d}"
