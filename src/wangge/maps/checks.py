"""``wangge check``: the map's tile settings say something a Leaflet base map can use."""

from django.conf import settings
from django.core import checks

from wangge.maps.geojson import TILE_CRS


@checks.register()
def check_tiles(app_configs, **kwargs):
    problems = []
    crs = settings.WANGGE_MAP_TILES_CRS
    if crs not in TILE_CRS:
        problems.append(
            checks.Error(
                f"WANGGE_MAP_TILES_CRS is {crs!r}; it must be 'wgs84' or 'gcj02'.",
                hint="gcj02 for AMap or Tencent tiles; wgs84 for OpenStreetMap or Tianditu.",
                id="maps.E001",
            )
        )
    tiles = settings.WANGGE_MAP_TILES
    if tiles and not all(part in tiles for part in ("{x}", "{y}", "{z}")):
        problems.append(
            checks.Error(
                "WANGGE_MAP_TILES must be a tile URL template with {x}, {y} and {z}.",
                id="maps.E002",
            )
        )
    return problems
