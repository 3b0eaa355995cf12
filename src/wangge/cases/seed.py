"""Loading the category tree, its time limits and forms from a fixture (standards as data)."""

from __future__ import annotations

from decimal import Decimal

from wangge.fixtures import load

# What a category passes to those below it unless they say otherwise.
INHERITED = (
    "kind",
    "radius",
    "form",
    "public",
    "counts_as_problem",
    "urgent_when",
    "agency",
    "urgent_agency",
)


def load_tree(apps, data: dict | None = None, *, current: bool = True):
    """Create a tree version from ``data`` (default: ``fixtures/categories.json``).

    ``apps`` is the migration's app registry (or ``django.apps.apps``). A category's keys
    beyond those of the first version (``counts_as_problem``, ``urgent_when``, ``agency``,
    ``urgent_agency``, ``urgent_limits``) are written only when the file has them, so the
    migrations of earlier model states load their own versions.
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
    agencies = {}
    for agency in data.get("agencies", []):
        agencies[agency["name"]], _ = Agency.objects.get_or_create(
            name=agency["name"],
            defaults={"kind": agency.get("kind", ""), "phone": agency.get("phone", "")},
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

    def agency_named(name):
        if not name:
            return None
        if name not in agencies:
            agencies[name] = Agency.objects.get(name=name)
        return agencies[name]

    def add(items, parent, inherited):
        for sort, item in enumerate(items, start=1):
            settings = {**inherited, **{k: v for k, v in item.items() if k in INHERITED}}
            later = {}  # the keys of later versions, only where the file has them
            if "counts_as_problem" in settings:
                later["counts_as_problem"] = settings["counts_as_problem"]
            if "urgent_when" in settings:
                later["urgent_when"] = settings["urgent_when"] or {}
            if "agency" in settings:
                later["agency"] = agency_named(settings["agency"])
            if "urgent_agency" in settings:
                later["urgent_agency"] = agency_named(settings["urgent_agency"])
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
                **later,
            )
            for key, urgent in (("limits", False), ("urgent_limits", True)):
                for stage, (amount, unit) in item.get(key, {}).items():
                    StageLimit.objects.create(
                        tree=tree,
                        category=category,
                        stage=stage,
                        amount=Decimal(str(amount)),
                        unit=unit,
                        **({"urgent": True} if urgent else {}),
                    )
            add(item.get("children", []), category, settings)

    add(data["categories"], None, {})
    return tree
