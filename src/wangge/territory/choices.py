from collections.abc import Set

from django.db import models
from django.utils.translation import gettext_lazy as _


class NodeKind(models.TextChoices):
    """What a territory node is. Stored, never inferred from its code (codes change yearly)."""

    DISTRICT = "district", _("District")
    STREET = "street", _("Street (sub-district)")
    TOWN = "town", _("Town")
    TOWNSHIP = "township", _("Township")
    COMMUNITY = "community", _("Community")
    VILLAGE = "village", _("Village")
    GRID = "grid", _("Grid")
    DEDICATED_GRID = "dedicated_grid", _("Dedicated grid")
    MICRO_GRID = "micro_grid", _("Micro-grid")


DIVISION_KINDS = {
    NodeKind.DISTRICT,
    NodeKind.STREET,
    NodeKind.TOWN,
    NodeKind.TOWNSHIP,
    NodeKind.COMMUNITY,
    NodeKind.VILLAGE,
}
GRID_KINDS = {NodeKind.GRID, NodeKind.DEDICATED_GRID, NodeKind.MICRO_GRID}
STREET_KINDS = {NodeKind.STREET, NodeKind.TOWN, NodeKind.TOWNSHIP}
COMMUNITY_KINDS = {NodeKind.COMMUNITY, NodeKind.VILLAGE}

# Which kinds may sit under which.
ALLOWED_PARENTS: dict[str, Set[str | None]] = {
    NodeKind.DISTRICT: {None},
    NodeKind.STREET: {NodeKind.DISTRICT},
    NodeKind.TOWN: {NodeKind.DISTRICT},
    NodeKind.TOWNSHIP: {NodeKind.DISTRICT},
    NodeKind.COMMUNITY: STREET_KINDS,
    NodeKind.VILLAGE: STREET_KINDS,
    NodeKind.GRID: COMMUNITY_KINDS,
    NodeKind.DEDICATED_GRID: COMMUNITY_KINDS,
    NodeKind.MICRO_GRID: {NodeKind.GRID, NodeKind.DEDICATED_GRID},
}

# Code lengths: GB/T 2260 district (6), street (9), community (12), unit grid (15);
# a micro-grid adds 3 digits to its grid's code (local practice).
CODE_LENGTHS: dict[str, int] = {
    NodeKind.DISTRICT: 6,
    NodeKind.STREET: 9,
    NodeKind.TOWN: 9,
    NodeKind.TOWNSHIP: 9,
    NodeKind.COMMUNITY: 12,
    NodeKind.VILLAGE: 12,
    NodeKind.GRID: 15,
    NodeKind.DEDICATED_GRID: 15,
    NodeKind.MICRO_GRID: 18,
}

# When grids overlap (a dedicated grid inside a basic one), the most specific wins.
LOCATE_PRIORITY = {NodeKind.MICRO_GRID: 3, NodeKind.DEDICATED_GRID: 2, NodeKind.GRID: 1}


class CRS(models.TextChoices):
    WGS84 = "wgs84", "WGS-84"
    GCJ02 = "gcj02", "GCJ-02"
    BD09 = "bd09", "BD-09"
