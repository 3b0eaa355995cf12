"""12345 hotline work orders from spreadsheets, and back out again.

The city's 12345 platform hands a community its work orders (工单) as a spreadsheet. Each row
becomes a case through ``services.report`` on the hotline channel, remembered by its work
order number (``external_source="12345"``), so the same order is never taken in twice. As
every import, the file is judged whole first: one bad row and nothing is written.
"""

from __future__ import annotations

import datetime
import re
from functools import cached_property
from types import SimpleNamespace

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, pgettext_lazy

from wangge.cases import services
from wangge.cases.calendar import WorkCalendar
from wangge.cases.choices import Channel, Kind, LimitUnit, Mark, Rating, State
from wangge.cases.filters import CaseFilter
from wangge.cases.models import Case, Category
from wangge.core import memo
from wangge.core.crypto import mask_phone
from wangge.core.formspec import answer_text, clean_answers, questions
from wangge.core.imports import FirstRows, Importer, register
from wangge.core.inputs import limit_of
from wangge.core.models import Question
from wangge.core.services import BulkResult, allowed
from wangge.core.tabular import (
    CellError,
    Column,
    TableSpec,
    choice,
    decimal_number,
    integer,
    label_of,
    person_name,
    text,
)
from wangge.people import phone as phones
from wangge.territory.choices import CRS
from wangge.territory.importers import (
    CRS_NAMES,
    NO_GRID,
    OTHER_GRID,
    OUT_OF_REACH,
    OUTSIDE_GRIDS,
    grids_by_code,
    locate_rows,
)
from wangge.territory.models import Building, Node

SOURCE = "12345"
MAX_LIMIT_DAYS = 60

_MOMENT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y年%m月%d日%H时%M分",
    "%Y%m%d%H%M%S",
]


def moment(value) -> datetime.datetime | None:
    """A date and time, as Excel stores it or written out (Beijing time unless it says)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        found = value
    elif isinstance(value, datetime.date):
        found = datetime.datetime.combine(value, datetime.time())
    else:
        raw = text(value)
        try:
            found = parse_datetime(raw.replace("/", "-"))
        except ValueError:
            found = None
        for pattern in _MOMENT_FORMATS:
            if found is not None:
                break
            try:
                found = datetime.datetime.strptime(raw, pattern)
            except ValueError:
                continue
        if found is None:
            raise CellError(
                gettext("Not a time: “%(raw)s” (write it like 2025-11-24 09:30)") % {"raw": raw}
            )
    if timezone.is_naive(found):
        found = timezone.make_aware(found)
    return found


def _pairs(value) -> list[str]:
    """``问题：答案；问题：答案`` → its pairs (a pair's answer may list values with 、)."""
    return [item.strip() for item in re.split(r"[;；\n]", text(value)) if item.strip()]


def _local(moment_value):
    """Beijing time without a zone, as spreadsheets hold it."""
    if moment_value is None:
        return None
    return timezone.localtime(moment_value).replace(tzinfo=None, microsecond=0)


@register
class HotlineImporter(Importer):
    kind = "hotline"
    model = Case
    filterset_class = CaseFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "12345 work orders"),
            columns=[
                Column(
                    "工单编号",
                    "external_id",
                    required=True,
                    aliases=("工单号",),
                    limit=limit_of(Case, "external_id"),
                ),
                Column("来电时间", "received_at", parse=moment, aliases=("受理时间",)),
                Column(
                    "来电人",
                    "reporter_name",
                    aliases=("诉求人",),
                    limit=limit_of(Case, "reporter_name"),
                ),
                Column("联系电话", "reporter_phone", aliases=("来电号码",), limit=32),
                Column(
                    "诉求内容",
                    "description",
                    required=True,
                    aliases=("工单内容",),
                    limit=limit_of(Case, "description"),
                ),
                Column("诉求分类", "category", required=True, aliases=("分类",), limit=64),
                Column(
                    "办理时限（工作日）",
                    "limit_days",
                    parse=lambda v: integer(v, minimum=1, maximum=MAX_LIMIT_DAYS),
                    aliases=("办理时限(工作日)", "办理时限"),
                ),
                Column(
                    "地址",
                    "address",
                    aliases=("诉求地址", "事发地址"),
                    limit=limit_of(Case, "address"),
                ),
                Column("经度", "lng", parse=decimal_number),
                Column("纬度", "lat", parse=decimal_number),
                Column("坐标系", "crs", parse=choice(CRS_NAMES, "坐标系")),
                Column("网格编码", "grid_code", limit=limit_of(Node, "code")),
                Column("楼栋", "building", limit=limit_of(Building, "name") * 2),
                Column(
                    "补充信息",
                    "answers",
                    parse=_pairs,
                    help="分类问题的回答，如“发生时段：深夜凌晨；隐患类型：消防、用电”",
                ),
                # Written by the export, never read back.
                Column("状态", "state"),
                Column("办结时间", "done_at"),
            ],
        )

    # --- Checking -------------------------------------------------------------------------

    def look_up(self, parsed, actor):
        rows = parsed.rows
        numbers = [row["external_id"] for _n, row in rows if row.get("external_id")]
        taken = Case.objects.filter(external_source=SOURCE, external_id__in=numbers)
        return SimpleNamespace(
            actor=actor,
            categories=self._categories(),
            taken=set(taken.values_list("external_id", flat=True)),
            grids=grids_by_code(parsed),
            located=locate_rows(parsed),
            buildings=self._buildings(rows),
            calendar=WorkCalendar(),
            now=timezone.now(),
            seen=FirstRows(),
        )

    def check_row(self, number, row, found, problems):
        values = self._check_values(row, found, found.located.get(number), problems)
        order = row.get("external_id", "")
        earlier = found.seen.earlier(order, number)
        if earlier is not None:
            problems["工单编号"] = gettext("The same work order number as row %(row)s") % {
                "row": earlier
            }
        received = row.get("received_at")
        if received is not None and received > found.now:
            problems["来电时间"] = gettext("The call's time is later than now")
        if values is None:
            return None
        if row.get("limit_days"):
            start = received or found.now
            values["due_at"] = found.calendar.add(start, row["limit_days"], LimitUnit.WORKING_DAYS)
        grid = values.pop("where")
        if not allowed(found.actor, Case, "add", path=grid.path):
            problems.setdefault("网格编码", gettext(OUT_OF_REACH) % {"grid": grid.name})
        return None, values, grid.path

    def _check_values(self, row, found, point, problems):
        order = row.get("external_id", "")
        if order in found.taken:
            problems["工单编号"] = gettext(
                "Work order %(number)s is imported already: it cannot be imported twice"
            ) % {"number": order}
            return None  # the row will not go in, whatever else it says: nothing to fix in it
        phone = row.get("reporter_phone", "")
        if "*" in phone:
            problems["联系电话"] = gettext("The phone number is masked: write it in full")
        elif phone:
            try:
                phone = phones.validate(phone)
            except phones.InvalidPhone as exc:
                problems["联系电话"] = str(exc)
        description = row.get("description", "")
        category = None
        wanted = row.get("category", "")
        named = found.categories.get(wanted) if wanted else "missing"
        if named == "missing":
            pass  # the cell's own error says so
        elif named is None:
            problems["诉求分类"] = gettext(
                "Unknown category “%(name)s” (write the category's name or code)"
            ) % {"name": wanted}
        elif named == "ambiguous":
            problems["诉求分类"] = gettext(
                "Several categories are called “%(name)s”: write the category's code"
            ) % {"name": wanted}
        else:
            category = named
        answers = {}
        if category is not None:
            answers = self._answers(category, row.get("answers") or [], problems)
        grid = None
        if row.get("grid_code"):
            grid = found.grids.get(row["grid_code"])
            if grid is None:
                problems["网格编码"] = gettext(NO_GRID) % {"code": row["grid_code"]}
                return None
        if (row.get("lng") is None) != (row.get("lat") is None):
            problems["经度" if row.get("lng") is None else "纬度"] = gettext(
                "Give both the longitude and the latitude"
            )
            return None
        place: dict = {}
        building = None
        if row.get("building"):
            matches = found.buildings.get(row["building"], [])
            if grid is not None:
                matches = [b for b in matches if b.grid.path.startswith(grid.path)]
            if not matches:
                problems["楼栋"] = (
                    gettext("Grid “%(grid)s” has no building “%(building)s”")
                    % {"grid": grid.name, "building": row["building"]}
                    if grid is not None
                    else gettext("There is no building “%(building)s”")
                    % {"building": row["building"]}
                )
                return None
            if len(matches) > 1:
                problems["楼栋"] = gettext(
                    "There are several buildings “%(building)s”: give the grid code too"
                ) % {"building": row["building"]}
                return None
            building = matches[0]
            place["building"] = building
        if point is not None:
            point_grid = point[2]
            if point_grid is None:
                problems["经度"] = gettext(OUTSIDE_GRIDS)
                return None
            if grid is not None and not point_grid.path.startswith(grid.path):
                problems["经度"] = gettext(OTHER_GRID) % {"grid": point_grid.name}
                return None
            place.update(lng=row["lng"], lat=row["lat"], crs=row.get("crs") or CRS.WGS84)
            final = point_grid
        elif building is not None:
            final = building.grid
        elif grid is not None:
            final = grid
        else:
            problems["网格编码"] = gettext(
                "Give the longitude and latitude, the building or the grid code"
            )
            return None
        if grid is not None:
            place["grid"] = grid
        values = {
            "category": category,
            "description": description,
            "reporter_name": row.get("reporter_name", ""),
            "reporter_phone": phone,
            "address": row.get("address", ""),
            "attributes": answers,
            "external_id": order,
            "received_at": row.get("received_at"),
            **place,
        }
        values["where"] = final  # the grid the case will lie in (not passed on)
        return values

    def _categories(self) -> dict:
        """Current categories by name and by code (a name two carry is "ambiguous")."""
        current = list(
            Category.objects.filter(tree__is_current=True, is_active=True).select_related("form")
        )
        named: dict[str, list[Category]] = {}
        for category in current:
            named.setdefault(category.name, []).append(category)
        found: dict = {
            name: same[0] if len(same) == 1 else "ambiguous" for name, same in named.items()
        }
        found.update({category.code: category for category in current})
        return found

    def _answers(self, category, items: list[str], problems) -> dict:
        """``问题：答案`` pairs (the question's label or code) checked against the category's
        questions."""
        asked = questions(category.form)
        by_word = {}
        for question in asked:
            by_word[question.label] = question
            by_word[question.code] = question
            by_word[re.sub(r"（.*?）|\(.*?\)", "", question.label)] = question
        given = {}
        for item in items:
            word, _sep, answer = item.replace(":", "：").partition("：")
            question = by_word.get(word.strip())
            if question is None:
                problems["补充信息"] = gettext(
                    "Category “%(category)s” has no question “%(question)s”"
                ) % {"category": category.name, "question": word.strip()}
                return {}
            answer = answer.strip()
            if question.kind == Question.Kind.MULTI:
                answer = [item for item in re.split(r"[、,，]", answer) if item.strip()]
            given[question.code] = answer
        clean, errors = clean_answers(category.form, given)
        if errors:
            problems["补充信息"] = "；".join(errors.values())
        return clean

    def _buildings(self, rows) -> dict[str, list[Building]]:
        """Buildings by what a row may call them: "小区+楼栋" or the building's name."""
        wanted = {row["building"] for _n, row in rows if row.get("building")}
        if not wanted:
            return {}
        names = {value[i:] for value in wanted for i in range(len(value))}
        found: dict[str, list[Building]] = {}
        for building in Building.objects.filter(name__in=names).select_related("grid"):
            for key in (f"{building.compound}{building.name}", building.name):
                if key in wanted:
                    found.setdefault(key, []).append(building)
        return found

    # --- Writing --------------------------------------------------------------------------

    def apply(self, plan, actor, progress):
        result = BulkResult()
        with memo.steady():
            for values in plan.creates:
                services.report(
                    actor=actor, channel=Channel.HOTLINE, external_source=SOURCE, **values
                )
                result.created += 1
                if progress and result.created % 50 == 0:
                    progress(result.created)
        return result

    # --- Export ---------------------------------------------------------------------------

    def export_queryset(self, actor):
        return (
            Case.objects.restrict(actor, "view")
            .filter(channel=Channel.HOTLINE)
            .select_related("category__form", "grid", "building")
            .order_by("created_at", "id")
        )

    def export_rows(self, queryset, actor):
        for case in queryset.iterator(chunk_size=2000):
            given = case.attributes or {}
            answers = "；".join(  # in the form's order (PostgreSQL's jsonb keeps no key order)
                f"{question.label}：{answer_text(question, given[question.code])}"
                for question in questions(case.category.form)
                if question.code in given
            )
            building = case.building
            yield {
                "external_id": case.external_id,
                "received_at": _local(case.created_at),
                "reporter_name": case.reporter_name,
                "reporter_phone": mask_phone(case.reporter_phone),
                "description": case.description,
                "category": case.category.name,
                "limit_days": "",
                "address": case.address,
                "lng": case.lng,
                "lat": case.lat,
                "crs": "WGS-84" if case.lng is not None else "",
                "grid_code": case.grid.code,
                "building": f"{building.compound}{building.name}" if building else "",
                "answers": answers,
                "state": label_of(State, case.state),
                "done_at": _local(case.done_at),
            }


@register
class CaseExporter(Importer):
    """The console's case list as a spreadsheet: what the list shows, with its filters.

    Export only: cases come in through the loop's own channels, never from this sheet.
    """

    kind = "cases"
    model = Case
    importable = False

    filterset_class = CaseFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Cases"),
            columns=[
                Column("案件编号", "number"),
                Column("标题", "title"),
                Column("反映内容", "description"),
                Column("类别", "category"),
                Column("类型", "kind"),
                Column("渠道", "channel"),
                Column("状态", "state"),
                Column("标记", "mark"),
                Column("网格编码", "grid_code"),
                Column("网格", "grid"),
                Column("地址", "address"),
                Column("经度", "lng"),
                Column("纬度", "lat"),
                Column("反映人", "reporter_name"),
                Column("联系电话", "reporter_phone"),
                Column("处理人", "handler"),
                Column("上报时间", "created_at"),
                Column("受理时间", "accepted_at"),
                Column("承诺办结时间", "due_at"),
                Column("办结时间", "done_at"),
                Column("结案时间", "closed_at"),
                Column("返工次数", "rework_count"),
                Column("满意度", "rating"),
            ],
        )

    def export_queryset(self, actor):
        return (
            Case.objects.restrict(actor, "view")
            .select_related("category", "grid", "handler")
            .order_by("-created_at", "-id")
        )

    def export_rows(self, queryset, actor):
        for case in queryset.iterator(chunk_size=2000):
            handler = case.handler
            yield {
                "number": case.number,
                "title": case.title,
                "description": case.description,
                "category": case.category.name,
                "kind": label_of(Kind, case.kind),
                "channel": label_of(Channel, case.channel),
                "state": label_of(State, case.state),
                "mark": label_of(Mark, case.mark),
                "grid_code": case.grid.code,
                "grid": case.grid.name,
                "address": case.address,
                "lng": case.lng,
                "lat": case.lat,
                "reporter_name": case.reporter_name,
                "reporter_phone": mask_phone(case.reporter_phone),
                "handler": person_name(handler),
                "created_at": _local(case.created_at),
                "accepted_at": _local(case.accepted_at),
                "due_at": _local(case.due_at),
                "done_at": _local(case.done_at),
                "closed_at": _local(case.closed_at),
                "rework_count": case.rework_count,
                "rating": label_of(Rating, case.rating),
            }
