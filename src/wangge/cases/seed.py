"""Loading the category tree, its time limits and forms from a fixture (standards as data)."""

from __future__ import annotations

from decimal import Decimal

from wangge.fixtures import load


def load_tree(apps, data: dict | None = None, *, current: bool = True):
    """Create a tree version from ``data`` (default: ``fixtures/categories.json``).

    ``apps`` is the migration's app registry (or ``django.apps.apps``).
    """
    data = data or load("categories.json")
    CategoryTree = apps.get_model("cases", "CategoryTree")
    Category = apps.get_model("cases", "Category")
    StageLimit = apps.get_model("cases", "StageLimit")
    Agency = apps.get_model("cases", "Agency")
    Form = apps.get_model("core", "Form")
    Question = apps.get_model("core", "Question")
    if current:
        CategoryTree.objects.update(is_current=False)
    tree = CategoryTree.objects.create(
        version=data["version"],
        name=data["name"],
        source=data.get("source", ""),
        is_current=current,
    )
    forms = {}
    for form_data in data.get("forms", []):
        form, _ = Form.objects.get_or_create(
            code=form_data["code"], defaults={"name": form_data["name"]}
        )
        for sort, question in enumerate(form_data["questions"], start=1):
            Question.objects.update_or_create(
                form=form,
                code=question["code"],
                defaults={
                    "label": question["label"],
                    "kind": question["kind"],
                    "required": question.get("required", False),
                    "choices": question.get("choices", []),
                    "minimum": question.get("minimum"),
                    "maximum": question.get("maximum"),
                    "help": question.get("help", ""),
                    "sort": sort,
                },
            )
        forms[form.code] = form
    for limit in data.get("defaults", []):
        StageLimit.objects.create(
            tree=tree,
            stage=limit["stage"],
            amount=Decimal(str(limit["amount"])),
            unit=limit["unit"],
        )

    def add(items, parent, inherited):
        for sort, item in enumerate(items, start=1):
            settings = {
                **inherited,
                **{k: v for k, v in item.items() if k in ("kind", "radius", "form", "public")},
            }
            category = Category.objects.create(
                tree=tree,
                parent=parent,
                code=item["code"],
                name=item["name"],
                description=item.get("description", ""),
                default_kind=settings.get("kind", "promised"),
                duplicate_radius_m=settings.get("radius", 100),
                form=forms.get(settings.get("form")),
                public=settings.get("public", True),
                sort=sort,
            )
            for stage, (amount, unit) in item.get("limits", {}).items():
                StageLimit.objects.create(
                    tree=tree,
                    category=category,
                    stage=stage,
                    amount=Decimal(str(amount)),
                    unit=unit,
                )
            add(item.get("children", []), category, settings)

    add(data["categories"], None, {})
    for agency in data.get("agencies", []):
        Agency.objects.get_or_create(
            name=agency["name"],
            defaults={"kind": agency.get("kind", ""), "phone": agency.get("phone", "")},
        )
    return tree
