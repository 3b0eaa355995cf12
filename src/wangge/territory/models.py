from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core import inputs
from wangge.core.scope import ScopedQuerySet
from wangge.territory.choices import (
    COMMUNITY_KINDS,
    DIVISION_KINDS,
    GRID_KINDS,
    STREET_KINDS,
    NodeKind,
)


class NodeQuerySet(ScopedQuerySet):
    def divisions(self):
        return self.filter(kind__in=DIVISION_KINDS)

    def grids(self):
        return self.filter(kind__in=GRID_KINDS)

    def subtree(self, node):
        return self.filter(path__startswith=node.path)

    def inside(self, user, action: str = "view"):
        """The subtrees of the user's memberships, without the ancestors that
        ``restrict(user, "view")`` adds for context."""
        from wangge.core.scope import get_scope, permission_name, subtree_q

        scope = get_scope(user)
        if scope.unrestricted:
            return self.all()
        paths = scope.paths(permission_name(self.model, action))
        return self.filter(subtree_q(paths)) if paths else self.none()


class Node(models.Model):
    """A place in the territory tree: 区 → 街道 → 社区 → 网格 → 微网格.

    ``path`` lists the ids from the root (``/1/4/17/``) so a subtree is a prefix match.
    Grids carry their boundary as a GeoJSON geometry in WGS-84; divisions may.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=NodeKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    geometry = models.JSONField(_("boundary (GeoJSON, WGS-84)"), null=True, blank=True)
    min_lng = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lng = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    description = models.TextField(_("description"), blank=True, max_length=inputs.DESCRIPTION)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = NodeQuerySet.as_manager()
    scope_field = ""

    class Meta:
        verbose_name = _("territory node")
        verbose_name_plural = _("territory nodes")
        ordering = ["path"]
        indexes = [models.Index(fields=["kind", "parent"])]

    def __str__(self):
        return self.name

    @property
    def is_grid(self) -> bool:
        return self.kind in GRID_KINDS

    @property
    def is_division(self) -> bool:
        return self.kind in DIVISION_KINDS

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/")[:-1]]

    def ancestors(self):
        """From the root down to the parent, in one query."""
        by_id = Node.objects.in_bulk(self.ancestor_ids)
        return [by_id[pk] for pk in self.ancestor_ids if pk in by_id]

    def ancestor_of_kind(self, kinds):
        if self.kind in kinds:
            return self
        for node in reversed(self.ancestors()):
            if node.kind in kinds:
                return node
        return None

    @property
    def community(self):
        return self.ancestor_of_kind(COMMUNITY_KINDS)

    @property
    def street(self):
        return self.ancestor_of_kind(STREET_KINDS)

    @property
    def full_name(self) -> str:
        return " / ".join([node.name for node in self.ancestors()] + [self.name])


class BuildingTag(models.Model):
    """An editable label on buildings: 老旧房屋, 无物业, 高层, 自建房 …"""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32, unique=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("building tag")
        verbose_name_plural = _("building tags")
        ordering = ["sort", "code"]

    def __str__(self):
        return self.name


class Building(models.Model):
    """A building, placed in the most specific grid that contains it."""

    grid = models.ForeignKey(
        Node, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="buildings"
    )
    name = models.CharField(_("name"), max_length=64)
    compound = models.CharField(_("compound"), max_length=64, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lng = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    lat = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    built_year = models.PositiveSmallIntegerField(_("year built"), null=True, blank=True)
    tags = models.ManyToManyField(BuildingTag, verbose_name=_("tags"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["grid__path", "compound", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "compound", "name"], name="territory_building_unique_name"
            )
        ]

    def __str__(self):
        return f"{self.compound}{self.name}" if self.compound else self.name


class Unit(models.Model):
    """A stairwell unit (单元) of a building."""

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.CASCADE, related_name="units"
    )
    number = models.PositiveSmallIntegerField(_("number"))

    objects = ScopedQuerySet.as_manager()
    scope_field = "building__grid"

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="territory_unit_unique")
        ]

    def __str__(self):
        return _("Unit %(number)s") % {"number": self.number}


class Dwelling(models.Model):
    """A dwelling (户): a flat in a unit of a building."""

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.CASCADE, related_name="dwellings"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="dwellings",
    )
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    number = models.CharField(_("room number"), max_length=16)

    objects = ScopedQuerySet.as_manager()
    scope_field = "building__grid"

    class Meta:
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")
        ordering = ["building", "unit__number", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "number"], name="territory_dwelling_unique"
            )
        ]

    def __str__(self):
        if self.unit_id:
            return f"{self.building} {self.unit.number}-{self.number}"
        return f"{self.building} {self.number}"

    @property
    def label(self) -> str:
        """``2-301``: unit and room, as residents say it."""
        return f"{self.unit.number}-{self.number}" if self.unit_id else self.number
