"""Writing the territory: nodes (divisions and grids), buildings, units and dwellings.

Every function here is keyword-only, runs in a transaction, checks the actor's scope and
writes its audit event. ``actor=None`` is the system (an operator at the CLI, the demo).

By concern: ``nodes`` (the tree of places: ``create_node``, ``update_node``), ``grid_import``
(``import_grids`` from GeoJSON, all or nothing), ``buildings`` (``create_building``,
``update_building`` with their units and dwellings; ``reassign_buildings`` when boundaries
change). The names below are the services other modules call, as
``services.create_node(...)``.
"""

from wangge.territory.services.buildings import (
    MOVED_BY_BOUNDARIES,
    building_snapshot,
    create_building,
    reassign_buildings,
    resolve_grid,
    update_building,
)
from wangge.territory.services.grid_import import (
    KIND_ALIASES,
    KIND_BY_LENGTH,
    PROPERTY_NAMES,
    FeatureProblem,
    GridImportReport,
    import_grids,
)
from wangge.territory.services.nodes import (
    check_code,
    check_parent,
    create_node,
    node_snapshot,
    update_node,
)

__all__ = [
    "KIND_ALIASES",
    "KIND_BY_LENGTH",
    "MOVED_BY_BOUNDARIES",
    "PROPERTY_NAMES",
    "FeatureProblem",
    "GridImportReport",
    "building_snapshot",
    "check_code",
    "check_parent",
    "create_building",
    "create_node",
    "import_grids",
    "node_snapshot",
    "reassign_buildings",
    "resolve_grid",
    "update_building",
    "update_node",
]
