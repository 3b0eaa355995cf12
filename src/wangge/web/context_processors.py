from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.core.scope import get_scope

# The lost-and-found staff pages, under the one "Lost and found" item.
FOUND_PAGES = {"found-new", "found-detail", "found-claim", "found-check", "found-hand-over"}

# Field work's sections: one item in the main navigation (its overview page), and a row of
# their own on every field-work page. (permission, list page, label, its pages' names start with)
FIELDWORK = (
    ("view_visitplan", "visit-plan-list", _("Visits"), ("visit-plan-",)),
    ("view_campaign", "campaign-list", _("Campaigns"), ("campaign-",)),
    ("view_carerequest", "errand-list", _("Errands"), ("errand-",)),
    ("view_teamduty", "grid-team", _("Grid team"), ("grid-team",)),
    ("view_dispute", "dispute-list", _("Mediation"), ("dispute-",)),
    ("view_patrol", "patrol-list", _("Patrols"), ("patrol-", "checkpoint-")),
)


def fieldwork_section(url_name: str | None) -> str | None:
    """The field-work section a page belongs to (its list's name), or None."""
    for _perm, section, _label, prefixes in FIELDWORK:
        if url_name and url_name.startswith(prefixes):
            return section
    return None


def navigation(request):
    """The main navigation: only the pages this user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    from wangge.core.views import importable_kinds

    scope = get_scope(user)
    items = [("home", reverse("home"), _("Home"))]
    if scope.has_perm("cases.view_case"):
        items.append(("case-console-list", reverse("case-console-list"), _("Cases")))
    if scope.has_perm("notices.view_notice"):
        items.append(("notice-list", reverse("notice-list"), _("Notices")))
    if scope.has_perm("lostfound.view_founditem"):
        items.append(("found-list", reverse("found-list"), _("Lost and found")))
    fieldwork = [
        (name, reverse(name), label)
        for perm, name, label, _prefixes in FIELDWORK
        if scope.has_perm(f"fieldwork.{perm}")
    ]
    if fieldwork:
        items.append(
            ("fieldwork-home", reverse("fieldwork-home"), pgettext_lazy("navigation", "Field work"))
        )
    if scope.has_perm("people.view_person") or scope.has_perm("territory.view_building"):
        items.append(("registry", reverse("registry"), _("Registry")))
    items.append(("map", reverse("map"), _("Map")))
    if scope.has_perm("cases.view_case"):
        items.append(("dashboard", reverse("dashboard"), _("Dashboard")))
    if scope.has_perm("cases.add_case"):
        items.append(("phone-tasks", reverse("phone-tasks"), _("Phone pages")))
    if importable_kinds(user):
        items.append(("import", reverse("import"), _("Import")))
    if scope.has_perm("core.view_auditevent"):
        items.append(("audit-list", reverse("audit-list"), _("Audit log")))
    if user.is_staff:
        items.append(("admin", reverse("admin:index"), _("Administration")))
    current = getattr(request.resolver_match, "url_name", None)
    section = fieldwork_section(current)
    subnav = []
    if section or current == "fieldwork-home":
        subnav = [
            {"url": url, "label": label, "current": name == section}
            for name, url, label in fieldwork
        ]
        current = "fieldwork-home"
    elif current and current.startswith("case-console-"):
        current = "case-console-list"
    elif current and current.startswith("registry"):
        current = "registry"
    elif current in FOUND_PAGES:
        current = "found-list"
    elif current and current.startswith("notice-"):
        current = "notice-list"
    return {
        "navigation": [
            {"url": url, "label": label, "current": name == current} for name, url, label in items
        ],
        "fieldwork_navigation": subnav,
    }
