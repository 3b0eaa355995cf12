"""``wangge import-grids``: every feature checked, a report by feature, all or nothing."""

import json

import pytest
import shapely
from django.core.management import call_command

from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN_GRID1, LVDU, LVDU_GRID1, LVDU_GRID2
from wangge.territory import geo
from wangge.territory.geometry import transform_geometry
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db


def feature(code, name, geometry, **props):
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"code": code, "name": name, **props},
    }


def write(tmp_path, features, name="grids.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def inside(node, scale=0.3):
    shape = shapely.geometry.shape(node.geometry)
    return shapely.geometry.mapping(shapely.affinity.scale(shape, scale, scale))


def run(path, *args):
    call_command("import-grids", str(path), *args)


def test_reimporting_the_grids_updates_them(tmp_path, capsys):
    grids = Node.objects.filter(parent__code=LVDU, kind="grid")
    path = write(tmp_path, [feature(g.code, g.name, g.geometry) for g in grids])
    run(path)
    assert f"更新 {grids.count()} 个" in capsys.readouterr().out


def test_every_bad_feature_is_reported_and_nothing_is_imported(tmp_path, capsys):
    grid1 = Node.objects.get(code=LVDU_GRID1)
    lng, lat = shapely.geometry.shape(grid1.geometry).centroid.coords[0]
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [
                [lng - 0.001, lat - 0.001],
                [lng + 0.001, lat + 0.001],
                [lng + 0.001, lat - 0.001],
                [lng - 0.001, lat + 0.001],
                [lng - 0.001, lat - 0.001],
            ]
        ],
    }
    elsewhere = Node.objects.get(code=GUANLAN_GRID1)
    features = [
        feature(f"{LVDU}090", "合格的专属网格", inside(grid1, 0.2), kind="专属网格"),
        feature(f"{LVDU}091", "自相交", bowtie, kind="专属网格"),
        feature(f"{LVDU}092", "跑到观澜", inside(elsewhere), kind="专属网格"),
        feature(f"{LVDU}093", "与第2网格重叠", Node.objects.get(code=LVDU_GRID2).geometry),
        feature("41010201000309", "编码太短", inside(grid1)),
        feature("410102999999001", "没有上级", inside(grid1)),
        feature(f"{LVDU}094", "点不是面", {"type": "Point", "coordinates": [lng, lat]}),
        feature(
            f"{LVDU}095",
            "经纬度颠倒",
            {
                "type": "Polygon",
                "coordinates": [
                    [[lat, lng], [lat + 0.001, lng], [lat + 0.001, lng + 0.001], [lat, lng]]
                ],
            },
        ),
    ]
    nodes, events = Node.objects.count(), AuditEvent.objects.count()
    with pytest.raises(SystemExit):
        run(write(tmp_path, features))
    err = capsys.readouterr().err
    assert "未导入任何网格" in err
    assert f"第2个要素（{LVDU}091）：边界自相交" in err
    assert f"第3个要素（{LVDU}092）：超出所属社区“绿都社区”边界约" in err
    assert f"第4个要素（{LVDU}093）：与网格 {LVDU_GRID2}“第2网格”重叠约" in err
    assert "第5个要素（41010201000309）：编码位数不对" in err
    assert "第6个要素（410102999999001）：上级 410102999999 不存在" in err
    assert f"第7个要素（{LVDU}094）：边界应为 Polygon 或 MultiPolygon" in err
    assert f"第8个要素（{LVDU}095）：边界坐标超出中国范围" in err
    assert "第1个要素" not in err
    assert Node.objects.count() == nodes and AuditEvent.objects.count() == events


def test_overlapping_new_siblings_and_micro_grids_in_one_file(tmp_path, capsys):
    grid1 = Node.objects.get(code=LVDU_GRID1)
    box = inside(grid1, 0.3)
    with pytest.raises(SystemExit):
        run(
            write(
                tmp_path,
                [
                    feature(f"{LVDU}096", "甲", box, kind="dedicated"),
                    feature(f"{LVDU}097", "乙", box, kind="dedicated"),
                ],
            )
        )
    assert f"第2个要素（{LVDU}097）：与专属网格 {LVDU}096“甲”重叠约" in capsys.readouterr().err
    # A new dedicated grid and its micro-grid, in one file.
    shape = shapely.geometry.shape(box)
    west = shapely.geometry.mapping(
        shapely.clip_by_rect(shape, *shape.bounds[:2], shape.centroid.x, shape.bounds[3])
    )
    run(
        write(
            tmp_path,
            [
                feature(f"{LVDU}096", "商场专属网格", box, kind="专属网格"),
                feature(f"{LVDU}096001", "商场西区", west, kind="微网格"),
            ],
        )
    )
    micro = Node.objects.get(code=f"{LVDU}096001")
    assert micro.kind == "micro_grid" and micro.parent.code == f"{LVDU}096"
    assert micro.path.startswith(Node.objects.get(code=LVDU).path)


def test_gcj02_files_are_stored_in_wgs84(tmp_path):
    grid1 = Node.objects.get(code=LVDU_GRID1)
    box = inside(grid1, 0.2)
    in_gcj = transform_geometry(box, lambda x, y: geo.wgs84_to_gcj02(x, y))
    run(
        write(tmp_path, [feature(f"{LVDU}089", "停车场专属网格", in_gcj, kind="专属网格")]),
        "--crs",
        "gcj02",
    )
    stored = shapely.geometry.shape(Node.objects.get(code=f"{LVDU}089").geometry)
    assert stored.equals_exact(shapely.geometry.shape(box), 1e-7)


def test_dry_run_writes_nothing_and_bad_json_is_refused(tmp_path, capsys):
    grid1 = Node.objects.get(code=LVDU_GRID1)
    run(
        write(tmp_path, [feature(f"{LVDU}088", "试", inside(grid1, 0.2), kind="专属网格")]),
        "--dry-run",
    )
    assert "检查通过" in capsys.readouterr().out
    assert not Node.objects.filter(code=f"{LVDU}088").exists()
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", "utf-8")
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        run(bad)


def test_chinese_property_names_update_existing_grids(tmp_path, capsys):
    grids = Node.objects.filter(parent__code=LVDU, kind="grid")
    features = [
        {"type": "Feature", "geometry": g.geometry, "properties": {"编码": g.code, "名称": g.name}}
        for g in grids
    ]
    run(write(tmp_path, features))
    out = capsys.readouterr().out
    assert f"新增 0 个网格，更新 {grids.count()} 个" in out


def test_a_whole_new_district_in_one_file(tmp_path):
    """Divisions and grids together: each finds its parent earlier in the same file."""
    box = shapely.box(113.62, 34.70, 113.64, 34.72)  # south of the demo district
    west = shapely.box(113.62, 34.70, 113.63, 34.72)
    east = shapely.box(113.63, 34.70, 113.64, 34.72)
    shape = shapely.geometry.mapping
    run(
        write(
            tmp_path,
            [
                feature("410103", "二七区", shape(box), kind="区"),
                feature("410103001", "淮河路街道", shape(box), kind="街道"),
                feature("410103001001", "示例社区", shape(box), kind="社区"),
                feature("410103001001001", "第1网格", shape(west)),
                feature("410103001001002", "第2网格", shape(east)),
            ],
        )
    )
    grid = Node.objects.get(code="410103001001002")
    assert grid.community.name == "示例社区" and grid.street.name == "淮河路街道"
    assert grid.path.startswith(Node.objects.get(code="410103").path)
    from wangge.territory.locate import get_index

    assert get_index().locate_many([113.635], [34.71])[0] == grid.pk
