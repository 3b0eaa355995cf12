from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wangge.core.scope import get_scope

# The lost-and-found staff pages, under the one "Lost and found" item.
FOUND_PAGES = {"found-new", "found-detail", "found-claim", "found-check", "found-hand-over"}


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
    if scope.has_perm("fieldwork.view_visitplan"):
        items.append(("visit-plan-list", reverse("visit-plan-list"), _("Visits")))
    if scope.has_perm("fieldwork.view_campaign"):
        items.append(("campaign-list", reverse("campaign-list"), _("Campaigns")))
    if scope.has_perm("fieldwork.view_carerequest"):
        items.append(("errand-list", reverse("errand-list"), _("Errands")))
    if scope.has_perm("fieldwork.view_teamduty"):
        items.append(("grid-team", reverse("grid-team"), _("Grid team")))
    if scope.has_perm("fieldwork.view_dispute"):
        items.append(("dispute-list", reverse("dispute-list"), _("Mediation")))
    if scope.has_perm("fieldwork.view_patrol"):
        items.append(("patrol-list", reverse("patrol-list"), _("Patrols")))
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
    if current and current.startswith("case-console-"):
        current = "case-console-list"
    elif current and current.startswith("registry"):
        current = "registry"
    elif current in FOUND_PAGES:
        current = "found-list"
    elif current and current.startswith("notice-"):
        current = "notice-list"
    elif current and current.startswith("dispute-"):
        current = "dispute-list"
    return {
        "navigation": [
            {"url": url, "label": label, "current": name == current} for name, url, label in items
        ]
    }
