"""Every demo persona against every read of the URL configuration, for what lies outside its
places: a detail, a file, a poster of an object there is a 404 (never a 403), and a list, a
count, a map layer or an export shows nothing of those places (their codes and names).

The routes are the URL configuration's (the pages, the API under ``/api/v1/`` — ninja's
operations are in the resolver too — and Open311), not a list kept by hand: a route with
parameters is filled by ``SAMPLES`` with an object outside the persona's places, one without
is read as it is, and a new route fails ``test_every_route_is_known`` until it has a sample or
a reason in ``EXCLUDED``. ``test_the_district_sees_the_markers`` keeps the lists honest: each
shows the district administrator what it must hide from the others, or says in
``WITHOUT_PLACES`` why it shows no places at all.
"""

from __future__ import annotations

import datetime
import functools
import io
import re
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from wangge.core.imports import REGISTRY
from wangge.demo.district import GUANLAN, LVDU

# The scopes are the same on every engine: CI reads the matrix once, in its SQLite pass.
pytestmark = [pytest.mark.django_db, pytest.mark.once]

# Each persona and the place outside its reach that it is tried against: another street's
# community for 绿都社区's people and their street, 绿都社区 for 观澜社区's grid worker. (The
# grid next door is ``tests/test_scope_gridworker.py``'s.)
OUTSIDE = {
    "street_zyxl": GUANLAN,
    "community_lvdu": GUANLAN,
    "gridleader_lvdu": GUANLAN,
    "gridworker_lvdu1": GUANLAN,
    "gridworker_lvdu2": GUANLAN,
    "partymember_lvdu": GUANLAN,
    "gridworker_guanlan1": LVDU,
}
PERSONAS = list(OUTSIDE)

# Routes the matrix does not read, by name, and why.
EXCLUDED = {
    # Writes: a POST (or DELETE) is not a read; writes on an outside object are refused by
    # the services' check_scope (tests/test_services_audit.py and each app's tests).
    "create_token": "a POST (sign-in for a token)",
    "revoke_current_token": "a DELETE of one's own token",
    "reveal": "a POST (reveal a person's number)",
    "create_visit": "a POST",
    "create_case": "a POST",
    "act": "a POST (a move of a case)",
    "reveal_reporter": "a POST",
    "case-photos-add": "a POST (an upload)",
    "create_found_item": "a POST",
    "set_visit_rule": "a POST (a place's own visit rule)",
    "remove_visit_rule": "a DELETE (a place's own visit rule)",
    "create_campaign": "a POST (an inspection campaign)",
    "open_campaign": "a POST",
    "close_campaign": "a POST",
    "set_campaign_team": "a PUT (a campaign team's members)",
    "create_check": "a POST (a campaign's check)",
    "campaign-act": "a POST (open or close a campaign)",
    "campaign-team": "a POST (a campaign team's members)",
    "create_patrol": "a POST (start or plan a patrol)",
    "start_patrol": "a POST",
    "add_trace": "a POST (a batch of the trace)",
    "add_finding": "a POST (a finding: a case)",
    "scan_checkpoint": "a POST",
    "finish_patrol": "a POST",
    "cancel_patrol": "a POST",
    "create_checkpoint": "a POST",
    "checkpoint-retire": "a POST",
    "phone-patrol-start": "a POST",
    "phone-patrol-finding": "a POST (a finding: a case)",
    "phone-patrol-scan": "a POST",
    "phone-patrol-finish": "a POST",
    "create_claim": "a POST",
    "check_claim": "a POST",
    "hand_over": "a POST",
    "create_notice": "a POST",
    "publish_notice": "a POST",
    "approve_notice": "a POST",
    "reject_notice": "a POST",
    "withdraw_notice": "a POST",
    "create_robot": "a POST",
    "assign_building": "a POST (a building given to a team member)",
    "unassign_building": "a DELETE (a building taken back)",
    "create_care_request": "a POST",
    "assign_care_request": "a POST",
    "accept_care_request": "a POST",
    "done_care_request": "a POST",
    "rate_care_request": "a POST",
    "cancel_care_request": "a POST",
    "grid-team-add": "a POST (a helper joins a grid's team)",
    "grid-team-building": "a POST (a building given or taken back)",
    "errand-act": "a POST (a move of an errand)",
    "phone-errand-act": "a POST (a move of an errand)",
    "read_notification": "a POST (marks one's own notification read)",
    "create_import": "a POST (an upload)",
    "set_language": "a POST",
    "logout": "a POST",
    "saved-view-save": "a POST",
    "saved-view-delete": "a POST",
    "case-console-act": "a POST",
    "case-console-bulk": "a POST",
    "case-console-reveal": "a POST (reveal the reporter's number for a callback)",
    "found-claim": "a POST",
    "found-check": "a POST",
    "found-hand-over": "a POST",
    "found-publish": "a POST",
    "notice-robot-switch": "a POST",
    "notice-publish": "a POST",
    "notice-review": "a POST",
    "notice-withdraw": "a POST",
    "notice-file": "a POST (an upload)",
    "notice-follow-grid": "a POST (a resident follows a grid)",
    "notice-follow-case": "a POST (a resident follows a case)",
    "registry-person-reveal": "a POST",
    "create_dispute": "a POST",
    "create_session": "a POST (a mediation session)",
    "record_outcome": "a POST (a mediation's outcome)",
    "sign_agreement": "a POST (an agreement signed)",
    "create_follow_up": "a POST (a follow-up visit)",
    "close_dispute": "a POST",
    "dispute-session": "a POST",
    "dispute-outcome": "a POST",
    "dispute-signed": "a POST",
    "dispute-follow-up": "a POST",
    "dispute-close": "a POST",
    "phone-task-act": "a POST",
    "phone-case-act": "a POST",
    "phone-case-reveal": "a POST (reveal the reporter's number for a callback)",
    # Public by design: residents' pages without sign-in, and the health check.
    "healthz": "public: the health check",
    "login": "public: the sign-in page",
    "case-report": "public: a grid's QR code page for residents (/r/<grid>/)",
    "case-track-form": "public: follow a case by its tracking code",
    "case-track": "public: a case by its tracking code (the code is the secret)",
    "found-notice": "public: a found item's notice (/found/<code>/)",
    "found-notice-photo": "public: a photo on a found item's notice (the notice's code)",
    "found-notice-thumbnail": "public: a photo on a found item's notice (the notice's code)",
    "notice-follow-confirm": "public: a resident types a code (the signed token is the key)",
    "notice-public": "public: a published notice (/n/<id>/)",
    "notice-public-file": "public: a published notice's file",
    # Open311 GeoReport v2: public by the standard (public cases only, no persona).
    "discovery": "Open311: public by the standard",
    "services": "Open311: public by the standard (the categories offered)",
    "service": "Open311: public by the standard (a category's questions)",
    "requests": "Open311: public cases only, by the standard",
    "request": "Open311: one public case, by the standard",
    "token": "Open311: a tracking code's case number",
    "not-found": "Open311: the spec's 404 for any other path",
    # The same for everyone: standards, not objects in places.
    "get_category": "a standard (a category of the tree), the same for everyone",
    "import-template": "a blank spreadsheet template, the same for everyone",
    "openapi-json": "the API's schema (its examples hold demo codes, no data)",
    "api-root": "the API's documentation page",
}

# Reads without parameters that show no places at all (so nothing to hide), and why.
WITHOUT_PLACES = {
    "me": "the caller's own account",
    "list_care_tags": "a standard",
    "list_categories": "a standard (the category tree)",
    "list_agencies": "a standard (outside agencies)",
    "list_notice_kinds": "a standard",
    "list_checklists": "a standard (the campaigns' checklist templates)",
    "list_notifications": "the caller's own notifications",
    "phone-manifest": "the phone pages' web app manifest",
    "phone-sw": "the phone pages' service worker",
    "import": "the import form",
    "phone-tasks": "the caller's own tasks (the district has none: grid workers' page)",
    "phone-report": "the phone's report form: the grid comes from the position",
    "phone-patrols": "the caller's own patrols and the first of their grids to start one in",
    "map": "the page's frame: its layers are the GeoJSON routes",
    "list_teams": "the demo's teams are the district's and streets' only",
    "find_duplicates": "needs a category and a point (a 400 without them)",
    "list_errand_kinds": "a standard",
    "errand-new": "a form: its picker names the caller's people with a care tag, no places",
    "case-console-duplicates": "needs a category and a point (the new-case page's fragment)",
    "fieldwork-home": "counts of the caller's places and a few open campaigns, not every "
    "place (each count is held to restrict() in fieldwork/tests/test_overview.py)",
}

# Lists whose items are objects: the model, the path from it to its place, and the filter that
# asks for the place (the persona asks for it outright; the district is shown it).
ITEMS = {
    "list_memberships": ("accounts.Membership", "node", "node"),
    "list_divisions": ("territory.Node", "", "within"),
    "list_grids": ("territory.Node", "", "within"),
    "grids_geojson": ("territory.Node", "", None),
    "list_buildings": ("territory.Building", "grid", "grid"),
    "list_dwellings": ("territory.Dwelling", "building__grid", "grid"),
    "list_households": ("people.Household", "grid", "grid"),
    "list_persons": ("people.Person", "grid", "grid"),
    "list_visits": ("people.Visit", "grid", "grid"),
    "list_cases": ("cases.Case", "grid", "grid"),
    "list_tasks": ("cases.Task", "case__grid", None),
    "list_found_items": ("lostfound.FoundItem", "grid", "grid"),
    "list_visit_plans": ("fieldwork.VisitPlan", "person__grid", "grid"),
    "list_campaigns": ("fieldwork.Campaign", "node", "node"),
    "list_care_requests": ("fieldwork.CareRequest", "grid", "grid"),
    "list_grid_team": ("accounts.Membership", "node", "grid"),
    "list_disputes": ("fieldwork.Dispute", "grid", "grid"),
    "dispute-list": ("fieldwork.Dispute", "grid", "grid"),
    "list_patrols": ("fieldwork.Patrol", "grid", "grid"),
    "list_checkpoints": ("fieldwork.Checkpoint", "grid", "grid"),
    "list_notices": ("notices.Notice", "node", "node"),
    "list_robots": ("notices.Robot", "grid", "grid"),
    "list_audit_events": ("core.AuditEvent", "node", "node"),
    "map-grids": ("territory.Node", "", None),
    "map-buildings": ("territory.Building", "grid", None),
    "map-cases": ("cases.Case", "grid", None),
}


@dataclass(frozen=True)
class Route:
    path: str  # as the resolver writes it: "cases/<int:pk>/", "open311/v2/^requests\.(?P<fmt>…)$"
    name: str
    parameters: tuple[str, ...]
    methods: frozenset[str] | None  # an API operation's methods; None for a page

    @property
    def id(self) -> str:
        return self.name

    def fill(self, values: dict) -> str:
        path = self.path
        for key, value in values.items():
            if key == "?":
                continue
            path = re.sub(rf"<(?:\w+:)?{key}>|\(\?P<{key}>[^)]*\)", str(value), path)
        return "/" + path.replace("^", "").replace("$", "").replace("\\.", ".")


def _methods(pattern) -> frozenset[str] | None:
    """The HTTP methods of a ninja operation (its view keeps the ``PathView`` in a closure)."""
    for cell in getattr(pattern.callback, "__closure__", None) or ():
        operations = getattr(cell.cell_contents, "operations", None)
        if operations is None:
            continue
        for operation in operations:
            name = getattr(operation, "url_name", None) or operation.view_func.__name__
            if name == pattern.name:
                return frozenset(operation.methods)
    return None


@functools.cache
def routes() -> tuple[Route, ...]:
    """Every route of the URL configuration but the admin's (Django's own, for superusers)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                path = prefix + str(pattern.pattern)
                names = tuple(a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", path))
                found.append(Route(path, pattern.name or "", names, _methods(pattern)))

    walk(get_resolver().url_patterns, "")
    return tuple(route for route in found if not route.path.startswith("admin/"))


def matrix_routes() -> list[Route]:
    return [route for route in routes() if route.name not in EXCLUDED]


# --- samples: an object under ``code`` (a place outside the persona's reach) -------------------


def _first(queryset):
    obj = queryset.order_by("pk").first()
    assert obj is not None, f"the demo has no {queryset.model.__name__} here"
    return obj


def _case(code):
    from wangge.cases.models import Case

    return _first(Case.objects.filter(grid__code__startswith=code))


def _grid(code):
    from wangge.territory.choices import NodeKind
    from wangge.territory.models import Node

    return _first(Node.objects.filter(code__startswith=code, kind=NodeKind.GRID))


def _admin():
    from wangge.accounts.models import User

    return User.objects.get(username="district")


def _photo(code):
    from wangge.cases.photos import add_photo

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 40)).save(out, "JPEG")
    upload = SimpleUploadedFile("IMG_0001.jpg", out.getvalue(), "image/jpeg")
    return add_photo(actor=_admin(), case=_case(code), upload=upload)


def _found_item(code):
    from wangge.lostfound.services import record_found_item

    return record_found_item(
        actor=_admin(),
        what="钥匙一串",
        where="楼下花坛",
        found_at=timezone.now() - datetime.timedelta(days=3),
        grid=_grid(code),
        kept_at="社区居委会",
    )


def _notice(code):
    """A draft notice for the place, with a text file (written as the district would)."""
    from wangge.notices.models import NoticeKind
    from wangge.notices.services import add_notice_file, create_notice
    from wangge.territory.models import Node

    notice = create_notice(
        actor=_admin(),
        kind=NoticeKind.objects.order_by("pk").first(),
        title="停水通知",
        body="本周六上午停水。",
        nodes=[Node.objects.get(code=code)],
    )
    add_notice_file(
        actor=_admin(),
        notice=notice,
        upload=SimpleUploadedFile("通知.txt", "停水通知".encode(), "text/plain"),
    )
    return notice


def _job(code):
    """Someone else's job (an import's check): jobs are their starter's only."""
    from wangge.core.models import Job

    return Job.objects.create(kind="import", created_by=_admin())


def _model(app_model, field):
    from django.apps import apps

    model = apps.get_model(app_model)
    return lambda code: _first(model.objects.filter(**{f"{field}__code__startswith": code}))


_building = _model("territory.Building", "grid")
_dwelling = _model("territory.Dwelling", "building__grid")
_household = _model("people.Household", "grid")
_person = _model("people.Person", "grid")
_visit_plan = _model("fieldwork.VisitPlan", "person__grid")
_dispute = _model("fieldwork.Dispute", "grid")


def _agreed_dispute(code):
    """A dispute with a written agreement (one is made if the place has none)."""
    from wangge.fieldwork import services as fieldwork
    from wangge.fieldwork.models import Dispute, DisputeKind

    found = Dispute.objects.filter(grid__code__startswith=code, agreement__oral=False).first()
    if found is not None:
        return found
    dispute = fieldwork.create_dispute(
        actor=_admin(),
        grid=_grid(code),
        kind=DisputeKind.objects.get(code="neighbour"),
        title="邻里纠纷",
        facts="漏水",
        parties=[
            fieldwork.PartySpec(role="applicant", name="甲"),
            fieldwork.PartySpec(role="respondent", name="乙"),
        ],
    )
    return fieldwork.record_outcome(
        actor=_admin(), dispute=dispute, outcome="agreed", terms="修好防水层"
    )


_task = _model("cases.Task", "case__grid")
_membership = _model("accounts.Membership", "node")
_event = _model("core.AuditEvent", "node")


def _patrol(code):
    """A patrol underway in the place's first grid, led by its grid worker (the demo's are in
    other communities)."""
    from wangge.accounts.models import Membership
    from wangge.fieldwork.services import create_patrol

    grid = _grid(code)
    worker = Membership.objects.filter(node=grid, role="grid_worker").first().user
    return create_patrol(actor=_admin(), grid=grid, leader=worker, note="巡查")


def _checkpoint(code):
    from wangge.fieldwork.services import create_checkpoint

    return create_checkpoint(actor=_admin(), grid=_grid(code), name="北门")


def _robot(code):
    import uuid

    from wangge.notices.models import Robot
    from wangge.notices.services import create_robot

    grid = _grid(code)
    if not Robot.objects.filter(grid=grid).exists():
        create_robot(actor=_admin(), grid=grid, name="居民群", key=str(uuid.uuid4()))


def _campaign(code):
    """An open campaign in the place, with a check and its photo (written as the district
    would)."""
    from wangge.fieldwork import services as fieldwork
    from wangge.fieldwork.models import Campaign, Checklist
    from wangge.territory.models import Node

    node = Node.objects.get(code=code)
    campaign = Campaign.objects.filter(node=node, title=f"{node.name}排查").first()
    if campaign is not None:
        return campaign
    day = timezone.localdate()
    campaign = fieldwork.create_campaign(
        actor=_admin(),
        title=f"{node.name}排查",
        checklist=Checklist.objects.get(code="dispute-screening"),
        node=node,
        starts_on=day,
        ends_on=day,
    )
    campaign = fieldwork.open_campaign(actor=_admin(), campaign=campaign)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 60, 200)).save(out, "JPEG")
    fieldwork.record_check(
        actor=_admin(),
        campaign=campaign,
        building=_building(code),
        answers={"neighbours": False, "family": False, "property": False, "wages": False},
        photos=[SimpleUploadedFile("IMG_0002.jpg", out.getvalue(), "image/jpeg")],
    )
    return campaign


def _check_photo(code):
    from wangge.fieldwork.models import CheckPhoto

    return CheckPhoto.objects.filter(check_row__campaign=_campaign(code)).first()


def _division(code):
    from wangge.territory.models import Node

    return Node.objects.get(code=code)


def _errand(code, photo: bool = False):
    """An errand of a person with a care tag there (done, with a receipt's photo: ``photo``)."""
    from wangge.fieldwork import services as fieldwork
    from wangge.fieldwork import team
    from wangge.fieldwork.models import CareRequest, ErrandKind
    from wangge.people.models import Person

    found = CareRequest.objects.filter(grid__code__startswith=code)
    found = found.exclude(photo="") if photo else found
    if found.exists():
        return found.order_by("pk").first()
    person = _first(Person.objects.filter(grid__code__startswith=code, tag_links__isnull=False))
    errand, _made = fieldwork.raise_errand(
        actor=_admin(), person=person, kind=ErrandKind.objects.first(), description="代购"
    )
    if photo:
        helper = team.helpers_of(person.grid).first().user
        fieldwork.assign_errand(actor=_admin(), errand=errand, helper=helper)
        out = io.BytesIO()
        Image.new("RGB", (32, 24), (20, 90, 160)).save(out, "JPEG")
        upload = SimpleUploadedFile("receipt.jpg", out.getvalue(), "image/jpeg")
        errand = fieldwork.record_errand_done(
            actor=_admin(), errand=errand, minutes=30, note="已送到", photo=upload
        )
    return errand


# Routes with parameters → the values that point outside ``code``.
SAMPLES = {
    # API
    "get_membership": lambda c: {"membership_id": _membership(c).pk},
    "get_division": lambda c: {"node_id": _division(c).pk},
    "get_grid": lambda c: {"node_id": _grid(c).pk},
    # point → grid, at a building of the place (its query string, not its path)
    "locate": lambda c: {"?": {"lng": _building(c).lng, "lat": _building(c).lat}},
    "get_building": lambda c: {"building_id": _building(c).pk},
    "get_dwelling": lambda c: {"dwelling_id": _dwelling(c).pk},
    "get_household": lambda c: {"household_id": _household(c).pk},
    "get_person": lambda c: {"person_id": _person(c).pk},
    "get_case": lambda c: {"case_id": _case(c).pk},
    "case-photos": lambda c: {"case_id": _case(c).pk},
    "get_task": lambda c: {"task_id": _task(c).pk},
    "case-photo-image": lambda c: {"photo_id": _photo(c).pk},
    "case-photo-thumbnail": lambda c: {"photo_id": _photo(c).pk},
    "get_found_item": lambda c: {"item_id": _found_item(c).pk},
    "get_visit_plan": lambda c: {"plan_id": _visit_plan(c).pk},
    "get_dispute": lambda c: {"dispute_id": _dispute(c).pk},
    "list_visit_rules": lambda c: {"?": {"place": c}},
    "get_patrol": lambda c: {"patrol_id": _patrol(c).pk},
    "get_checkpoint": lambda c: {"checkpoint_id": _checkpoint(c).pk},
    "get_notice": lambda c: {"notice_id": _notice(c).pk},
    "delivery_report": lambda c: {"notice_id": _notice(c).pk},
    "get_audit_event": lambda c: {"event_id": _event(c).pk},
    "get_metrics": lambda c: {"?": {"node": _division(c).pk}},
    "get_job": lambda c: {"job_id": _job(c).pk},
    # pages
    "job-detail": lambda c: {"pk": _job(c).pk},
    "case-console-detail": lambda c: {"pk": _case(c).pk},
    "case-report-poster": lambda c: {"grid_code": _grid(c).code},
    "found-detail": lambda c: {"pk": _found_item(c).pk},
    "found-poster": lambda c: {"pk": _found_item(c).pk},
    "notice-detail": lambda c: {"pk": _notice(c).pk},
    "notice-edit": lambda c: {"pk": _notice(c).pk},
    "notice-poster": lambda c: {"pk": _notice(c).pk},
    "notice-file-get": lambda c: (lambda n: {"pk": n.pk, "file_pk": n.files.get().pk})(_notice(c)),
    "phone-task": lambda c: {"pk": _task(c).pk},
    # the phone's grid page, a grid chosen by its code (a district or street picks one first)
    "phone-grid": lambda c: {"?": {"grid": _grid(c).code}},
    "phone-case": lambda c: {"pk": _case(c).pk},
    "registry-node": lambda c: {"code": _grid(c).code},
    "registry-building": lambda c: {"pk": _building(c).pk},
    "registry-household": lambda c: {"pk": _household(c).pk},
    "registry-person": lambda c: {"pk": _person(c).pk},
    "registry-household-new": lambda c: {"building_pk": _building(c).pk},
    "registry-household-edit": lambda c: {"pk": _household(c).pk},
    "registry-person-new": lambda c: {"household_pk": _household(c).pk},
    "registry-person-edit": lambda c: {"pk": _person(c).pk},
    "registry-visit-new": lambda c: {"household_pk": _household(c).pk},
    "phone-visit": lambda c: {"pk": _household(c).pk},
    "dispute-detail": lambda c: {"pk": _dispute(c).pk},
    "dispute-agreement": lambda c: {"pk": _agreed_dispute(c).pk},
    "phone-dispute": lambda c: {"pk": _dispute(c).pk},
    "patrol-detail": lambda c: {"pk": _patrol(c).pk},
    "checkpoint-label": lambda c: {"pk": _checkpoint(c).pk},
    "phone-patrol": lambda c: {"pk": _patrol(c).pk},
    "phone-checkpoint": lambda c: {"code": _checkpoint(c).code},
    "found-edit": lambda c: {"pk": _found_item(c).pk},
    "get_campaign": lambda c: {"campaign_id": _campaign(c).pk},
    "list_campaign_teams": lambda c: {"campaign_id": _campaign(c).pk},
    "list_campaign_checks": lambda c: {"campaign_id": _campaign(c).pk},
    "get_campaign_coverage": lambda c: {"campaign_id": _campaign(c).pk},
    "campaign-detail": lambda c: {"pk": _campaign(c).pk},
    "campaign-report": lambda c: {"pk": _campaign(c).pk},
    "campaign-photo": lambda c: {"pk": _check_photo(c).pk},
    "campaign-photo-thumbnail": lambda c: {"pk": _check_photo(c).pk},
    "phone-campaign-check": lambda c: {"pk": _campaign(c).pk, "building": _building(c).pk},
    "get_care_request": lambda c: {"errand_id": _errand(c).pk},
    "care-request-photo": lambda c: {"errand_id": _errand(c, photo=True).pk},
    "errand-detail": lambda c: {"pk": _errand(c).pk},
    "phone-errand": lambda c: {"pk": _errand(c).pk},
}

# Lists of objects the demo has in no place (or in 绿都社区's only): one is made there first.
SEEDS = {
    "list_found_items": _found_item,
    "found-list": _found_item,
    "export": lambda code: (_found_item(code), _notice(code), _campaign(code), _patrol(code)),
    "list_notices": _notice,
    "notice-list": _notice,
    "list_robots": _robot,
    "notice-robots": _robot,
    "list_campaigns": _campaign,
    "campaign-list": _campaign,
    "phone-campaigns": _campaign,
    "list_care_requests": _errand,
    "errand-list": _errand,
    "phone-errands": _errand,
    "list_patrols": _patrol,
    "patrol-list": _patrol,
    "patrol_totals": _patrol,
    "list_checkpoints": _checkpoint,
    "checkpoint-list": _checkpoint,
}
SEEDS["export"] = (lambda seed: lambda code: (seed(code), _errand(code)))(SEEDS["export"])

# Routes whose parameters choose a list rather than an object: each value is read as a list.
# Every kind the export registry knows: a new export is read without anyone adding it here.
EXPORT_KINDS = sorted(REGISTRY)
LISTS = {
    "export": [{"kind": kind, "fmt": "csv"} for kind in EXPORT_KINDS]
    + [{"kind": "persons", "fmt": "xlsx"}, {"kind": "cases", "fmt": "xlsx"}],
    "export_api": [{"kind": kind} for kind in EXPORT_KINDS],
}
# What a list is read with: the API's biggest page; the export API's CSV (what an export holds
# does not hang on its format: the page's ``persons`` and ``cases`` are read as .xlsx above).
QUERY = {"export_api": {"format": "csv"}}


def _api_name(route: Route) -> str:
    return "export_api" if route.name == "export" and route.path.startswith("api/") else route.name


def reads() -> list[Route]:
    return [route for route in matrix_routes() if route.name in SAMPLES]


def lists() -> list[Route]:
    return [route for route in matrix_routes() if route.name not in SAMPLES]


# --- what the outside looks like in a response -------------------------------------------------


@functools.cache
def markers(code: str) -> tuple[str, ...]:
    """The codes of the place and every node under it, and the place's name."""
    from wangge.territory.models import Node

    nodes = Node.objects.filter(code__startswith=code)
    return (*nodes.values_list("code", flat=True), Node.objects.get(code=code).name)


def text_of(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content[:2] == b"PK":  # .xlsx
        book = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            "\t".join("" if v is None else str(v) for v in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return content.decode("utf-8-sig", errors="replace")


def item_ids(response) -> set:
    """The ids of a JSON list's items (``{"items": [...]}``, a list, or GeoJSON features)."""
    if response.streaming or "json" not in response.get("Content-Type", ""):
        return set()
    try:
        data = response.json()
    except ValueError:
        return set()
    if isinstance(data, dict):
        data = data.get("items", data.get("features", []))
    rows = [row.get("properties", row) for row in data if isinstance(row, dict)]
    return {row["id"] for row in rows if "id" in row}


def outside_ids(name: str, code: str) -> set:
    from django.apps import apps

    label, field, _filter = ITEMS[name]
    lookup = f"{field}__code__startswith" if field else "code__startswith"
    model = apps.get_model(label)
    return set(model.objects.filter(**{lookup: code}).values_list("pk", flat=True))


def client_for(route: Route, username, as_user, api_as):
    return api_as(username) if route.path.startswith("api/") else as_user(username)


def _list_paths(route: Route) -> list[tuple[str, str | None]]:
    """Each path of the list, with its filter for "in this place"."""
    if not route.parameters:
        return [("/" + route.path, _filter(route))]
    return [
        (route.fill(values), _place_filter(route, values)) for values in LISTS[_api_name(route)]
    ]


def _place_filter(route: Route, values: dict) -> str | None:
    """An export's own filter for the place (``grid`` or ``node``, as its list's page has it):
    a filter it does not know would be ignored, and the whole list read instead."""
    filterset = REGISTRY[values["kind"]].filterset_class if "kind" in values else None
    if filterset is None:
        return _filter(route)
    return next((name for name in ("grid", "node") if name in filterset.base_filters), None)


def _filter(route: Route) -> str | None:
    """The list's filter for "in this place" (exports take their list's filters)."""
    if route.name in ITEMS:
        return ITEMS[route.name][2]
    return "grid" if _api_name(route) in LISTS else None


def _query(route: Route) -> dict:
    query = dict(QUERY.get(_api_name(route), {}))
    if route.path.startswith("api/") and route.name.startswith("list_"):
        query["limit"] = 500
    return query


# --- the tests ---------------------------------------------------------------------------------


def test_every_route_is_known():
    """A route is read by the matrix (with a sample if it has parameters) or excluded."""
    unknown = [
        f"new route /{route.path} ({route.name or 'no name'}): add a sample or a reason"
        for route in matrix_routes()
        if route.parameters and route.name not in SAMPLES and _api_name(route) not in LISTS
    ]
    writes = [
        f"/{route.path} ({route.name}) is a {'/'.join(sorted(route.methods))}: "
        "add a reason to EXCLUDED"
        for route in matrix_routes()
        if route.methods is not None and "GET" not in route.methods
    ]
    assert unknown + writes == []
    stale = set(EXCLUDED) | set(SAMPLES) | set(WITHOUT_PLACES)
    stale -= {route.name for route in routes()}
    assert stale == set(), f"tables name routes that are gone: {sorted(stale)}"


@pytest.mark.parametrize("username", PERSONAS)
@pytest.mark.parametrize("route", reads(), ids=lambda r: r.id)
def test_outside_object_is_a_404(route, username, as_user, api_as):
    values = SAMPLES[route.name](OUTSIDE[username])
    path = route.fill(values)
    response = client_for(route, username, as_user, api_as).get(path, values.get("?"))
    assert response.status_code == 404, f"{username} GET {path}: {response.status_code}"
    if route.path.startswith("api/"):
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("username", PERSONAS)
@pytest.mark.parametrize("route", lists(), ids=lambda r: r.id)
def test_lists_hide_the_outside(route, username, as_user, api_as):
    """Read as it is, and asked for the outside place by the list's own filter."""
    code = OUTSIDE[username]
    if route.name in SEEDS:
        SEEDS[route.name](code)
    client = client_for(route, username, as_user, api_as)
    hidden = markers(code)
    for path, place in _list_paths(route):
        queries = [_query(route)]
        if place:
            queries.append({**_query(route), place: _division(code).pk})
        for query in queries:
            response = client.get(path, query)
            # a list the role may not open is a 404; a filter naming a place outside is a 400
            assert response.status_code in (200, 302, 400, 404), (
                f"{username} GET {path} {query}: {response.status_code}"
            )
            body = text_of(response)
            leaked = [marker for marker in hidden if marker in body]
            assert leaked == [], f"{username} GET {path} {query} shows {leaked[:5]}"
            if route.name in ITEMS:
                leaked_ids = item_ids(response) & outside_ids(route.name, code)
                assert not leaked_ids, f"{username} GET {path} {query} lists {leaked_ids}"


@pytest.mark.parametrize("route", lists(), ids=lambda r: r.id)
def test_the_district_sees_the_markers(route, as_user, api_as):
    """What the others must not see is there for the district: the lists' checks have teeth."""
    if _api_name(route) in WITHOUT_PLACES or route.name in WITHOUT_PLACES:
        pytest.skip(WITHOUT_PLACES.get(route.name, ""))
    client = client_for(route, "district", as_user, api_as)
    for code in sorted(set(OUTSIDE.values())):
        if route.name in SEEDS:
            SEEDS[route.name](code)
    for path, place in _list_paths(route):
        for code in sorted(set(OUTSIDE.values())):
            query = dict(_query(route))
            if place:
                query[place] = _division(code).pk
            response = client.get(path, query)
            assert response.status_code == 200, f"district GET {path}: {response.status_code}"
            body = text_of(response)
            if route.name in ITEMS and item_ids(response) & outside_ids(route.name, code):
                continue
            assert any(marker in body for marker in markers(code)), (
                f"district GET {path} shows nothing of {code}: "
                "add a query that does, or a reason to WITHOUT_PLACES"
            )


@pytest.mark.parametrize("route", reads(), ids=lambda r: r.id)
def test_the_district_opens_the_samples(route, as_user, api_as):
    """The samples are real: the district, who sees everything, opens them."""
    client = client_for(route, "district", as_user, api_as)
    for code in sorted(set(OUTSIDE.values())):
        values = SAMPLES[route.name](code)
        path = route.fill(values)
        response = client.get(path, values.get("?"))
        assert response.status_code == 200, f"district GET {path}: {response.status_code}"
