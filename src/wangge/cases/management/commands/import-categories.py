import json
import sys
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext, ngettext

from wangge.cases.choices import Kind, LimitUnit, Stage
from wangge.cases.models import Agency, CategoryTree
from wangge.cases.seed import load_tree
from wangge.core import audit
from wangge.core.models import Question


def problems_in(data: dict) -> list[str]:
    """Everything wrong with a category file, in words; empty when it can be loaded."""
    problems = []
    for key in ("version", "name", "categories"):
        if not data.get(key):
            problems.append(gettext("“%(key)s” is missing") % {"key": key})
    if data.get("version") and CategoryTree.objects.filter(version=data["version"]).exists():
        problems.append(gettext("Version %(v)s exists already") % {"v": data["version"]})
    forms = {form.get("code") for form in data.get("forms", [])}
    questions = {
        form.get("code"): {question.get("code") for question in form.get("questions", [])}
        for form in data.get("forms", [])
    }
    agencies = {agency.get("name") for agency in data.get("agencies", [])}
    agencies |= set(Agency.objects.values_list("name", flat=True))
    for form in data.get("forms", []):
        for question in form.get("questions", []):
            if question.get("kind") not in Question.Kind.values:
                problems.append(
                    gettext("Form %(form)s: question %(question)s has no valid kind")
                    % {"form": form.get("code"), "question": question.get("code")}
                )
    for limit in data.get("defaults", []):
        if limit.get("stage") not in Stage.values or limit.get("unit") not in LimitUnit.values:
            problems.append(gettext("Default time limit %(limit)s is not valid") % {"limit": limit})
    seen = set()

    def walk(items, path, form=None):
        for item in items:
            own_form = item.get("form", form)
            code = item.get("code")
            where = "/".join([*path, str(code)])
            if not code or not item.get("name"):
                problems.append(gettext("%(where)s: no code or no name") % {"where": where})
            if code in seen:
                problems.append(gettext("%(where)s: the code comes twice") % {"where": where})
            seen.add(code)
            if item.get("kind") and item["kind"] not in Kind.values:
                problems.append(
                    gettext("%(where)s: kind %(kind)s is not valid")
                    % {"where": where, "kind": item["kind"]}
                )
            if item.get("form") and item["form"] not in forms:
                problems.append(
                    gettext("%(where)s: there is no form %(form)s")
                    % {"where": where, "form": item["form"]}
                )
            for key in ("limits", "urgent_limits"):
                for stage, value in (item.get(key) or {}).items():
                    if (
                        stage not in Stage.values
                        or len(value) != 2
                        or value[1] not in LimitUnit.values
                    ):
                        problems.append(
                            gettext("%(where)s: time limit %(limit)s is not valid")
                            % {"where": where, "limit": f"{stage}={value}"}
                        )
            urgent_when = item.get("urgent_when") or {}
            unknown = [
                str(code) for code in urgent_when if code not in questions.get(own_form, set())
            ]
            if not isinstance(urgent_when, dict) or unknown:
                problems.append(
                    gettext("%(where)s: “urgent when” names no question of its form: %(codes)s")
                    % {"where": where, "codes": ", ".join(unknown) or str(urgent_when)}
                )
            for key in ("agency", "urgent_agency"):
                if item.get(key) and item[key] not in agencies:
                    problems.append(
                        gettext("%(where)s: there is no agency “%(name)s”")
                        % {"where": where, "name": item[key]}
                    )
            if not isinstance(item.get("counts_as_problem", True), bool):
                problems.append(
                    gettext("%(where)s: “counts_as_problem” is true or false") % {"where": where}
                )
            walk(item.get("children", []), [*path, str(code)], own_form)

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
            self.stderr.write(
                ngettext(
                    "%(file)s: %(n)s problem, nothing imported.",
                    "%(file)s: %(n)s problems, nothing imported.",
                    len(problems),
                )
                % {"file": file.name, "n": len(problems)}
            )
            for problem in problems:
                self.stderr.write(f"  {problem}")
            sys.exit(1)
        if dry_run:
            self.stdout.write(
                gettext("%(file)s: checked, all good (nothing written).") % {"file": file.name}
            )
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
            gettext("%(file)s: category tree %(version)s published, %(n)s categories.")
            % {"file": file.name, "version": tree.version, "n": tree.categories.count()}
        )
