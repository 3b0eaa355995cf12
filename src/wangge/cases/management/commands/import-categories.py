import json
import sys
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from wangge.cases.choices import Kind, LimitUnit, Stage
from wangge.cases.models import CategoryTree
from wangge.cases.seed import load_tree
from wangge.core import audit
from wangge.core.models import Question


def problems_in(data: dict) -> list[str]:
    """Everything wrong with a category file, in Chinese; empty when it can be loaded."""
    problems = []
    for key in ("version", "name", "categories"):
        if not data.get(key):
            problems.append(f"缺少“{key}”")
    if data.get("version") and CategoryTree.objects.filter(version=data["version"]).exists():
        problems.append(f"版本 {data['version']} 已存在")
    forms = {form.get("code") for form in data.get("forms", [])}
    for form in data.get("forms", []):
        for question in form.get("questions", []):
            if question.get("kind") not in Question.Kind.values:
                problems.append(f"表单 {form.get('code')} 的问题 {question.get('code')} 类型无效")
    for limit in data.get("defaults", []):
        if limit.get("stage") not in Stage.values or limit.get("unit") not in LimitUnit.values:
            problems.append(f"默认时限 {limit} 无效")
    seen = set()

    def walk(items, path):
        for item in items:
            code = item.get("code")
            where = "/".join([*path, str(code)])
            if not code or not item.get("name"):
                problems.append(f"{where}：缺少编码或名称")
            if code in seen:
                problems.append(f"{where}：编码重复")
            seen.add(code)
            if item.get("kind") and item["kind"] not in Kind.values:
                problems.append(f"{where}：办理类型 {item['kind']} 无效")
            if item.get("form") and item["form"] not in forms:
                problems.append(f"{where}：没有表单 {item['form']}")
            for stage, value in (item.get("limits") or {}).items():
                if stage not in Stage.values or len(value) != 2 or value[1] not in LimitUnit.values:
                    problems.append(f"{where}：时限 {stage}={value} 无效")
            walk(item.get("children", []), [*path, str(code)])

    walk(data.get("categories", []), [])
    return problems


class Command(BaseCommand):
    help = (
        "Publish a new version of the category tree (categories, time limits, questions) from "
        "a JSON file shaped like src/wangge/fixtures/categories.json. Cases keep the "
        "categories they were filed under; new cases use the new tree."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check only.")

    def handle(self, *args, file, dry_run=False, **options):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"{file}: no such file") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: not valid JSON ({exc})") from exc
        problems = problems_in(data)
        if problems:
            self.stderr.write(f"{file.name}：{len(problems)} 个问题，未导入。")
            for problem in problems:
                self.stderr.write(f"  {problem}")
            sys.exit(1)
        if dry_run:
            self.stdout.write(f"{file.name}：检查通过（未写入）。")
            return
        with transaction.atomic():
            tree = load_tree(apps, data)
            audit.record(
                actor=None,
                action="cases.categorytree.published",
                target=tree,
                after={"version": tree.version, "categories": tree.categories.count()},
            )
        self.stdout.write(
            f"{file.name}：已发布分类体系 {tree.version}，共 {tree.categories.count()} 个分类。"
        )
