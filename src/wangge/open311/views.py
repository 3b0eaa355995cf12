"""Open311 GeoReport v2 under ``/open311/v2/`` (http://wiki.open311.org/GeoReport_v2).

Services are the current category tree's public leaf categories, their definitions the
categories' questions; ``POST requests`` files a case through ``services.report`` (the one
intake) on behalf of an ``Open311Client``; ``GET requests`` lists the cases marked public,
without the reporter's name or phone; their status notes are the replies written for the
resident, never staff notes (``public_text``). Every answer comes as ``.xml`` (the spec's required
format) or ``.json``; errors are the spec's ``{code, description}`` lists, in Chinese.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import re
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db.models import Exists, Max, OuterRef, Prefetch, Q
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, gettext_noop, pgettext
from django.views.decorators.csrf import csrf_exempt

from wangge.accounts.services import client_ip
from wangge.cases import public_text, services
from wangge.cases.choices import OPEN_STATES, Channel, State
from wangge.cases.models import Case, CaseEvent, Category, CategoryTree
from wangge.cases.public import RESIDENT_STATE
from wangge.core import memo, ratelimit
from wangge.core.crypto import mask_phone
from wangge.core.formspec import clean_answers, open311_attributes
from wangge.core.models import AuditEvent, Question
from wangge.open311.formats import DEFAULT_FORMAT, FORMATS, errors, render
from wangge.open311.models import Open311Client
from wangge.open311.services import open311_key_hash
from wangge.people import phone as phones
from wangge.territory import geo
from wangge.territory.choices import CRS, NodeKind
from wangge.territory.locate import get_index
from wangge.territory.models import Building, Node

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_CONTACT = gettext_noop("Ask the administrators of this platform")
DEFAULT_KEY_SERVICE = gettext_noop(
    "The platform's administrators issue an api_key with the command wangge open311-key"
)

MAX_BODY = 256 * 1024  # bytes; a report is a few kilobytes of text
MAX_FIELDS = 200
MAX_NAME = 64
MAX_ADDRESS = 200
MAX_IDEMPOTENCY_KEY = 100
MAX_IDS = 1000
MAX_PAGE_SIZE = 1000
MAX_PAGE = 100_000
WINDOW = datetime.timedelta(days=90)
TOKEN_LIMIT_PER_MINUTE = 60
# Audited edits of these change what ``services`` and their definitions say.
SERVICE_TYPES = ["cases.category", "cases.categorytree", "core.form", "core.question"]

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
_BAD_DATE = gettext_noop(
    "not a valid time (ISO 8601 with the time zone, like 2026-01-31T14:00:00+08:00)"
)


class Open311Error(Exception):
    """An answer in the spec's error format: ``status`` and one description per problem."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = descriptions


def _about(name: str, message) -> str:
    """A problem with one of the request's fields: ``name：message``."""
    return gettext("%(where)s: %(message)s") % {"where": name, "message": message}


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _dt(value: datetime.datetime | None) -> str | None:
    """A datetime as ISO 8601 with its offset (``2026-01-31T14:00:00+08:00``)."""
    if value is None:
        return None
    return timezone.localtime(value, _zone()).isoformat(timespec="seconds")


def open311_view(*methods: str):
    """The format suffix, the allowed methods, the site's language, errors in the spec's form."""

    def wrap(view):
        @csrf_exempt
        @functools.wraps(view)
        def inner(request, fmt: str, **kwargs):
            if fmt not in FORMATS:
                return errors(
                    DEFAULT_FORMAT,
                    404,
                    gettext("Unknown format “.%(fmt)s” (there are .xml and .json)") % {"fmt": fmt},
                )
            if request.method not in methods:
                return errors(
                    fmt,
                    405,
                    gettext("Method %(method)s is not supported") % {"method": request.method},
                    headers={"Allow": ", ".join(methods)},
                )
            with translation.override(settings.LANGUAGE_CODE):
                try:
                    return view(request, fmt, **kwargs)
                except Open311Error as problem:
                    return errors(fmt, problem.status, *problem.descriptions)

        return inner

    return wrap


READ = ("GET", "HEAD")


@csrf_exempt
def not_found(request, path: str = ""):
    """Anything else under ``/open311/v2/`` (no or an unknown format suffix)."""
    return errors(DEFAULT_FORMAT, 404, gettext("No such resource (paths end in .xml or .json)"))


# --- Reading: what is offered, and the public cases ---------------------------------------------


def offered_categories():
    """The services: active public leaf categories of the current tree."""
    active_children = Category.objects.filter(parent=OuterRef("pk"), is_active=True)
    has_questions = Question.objects.filter(form=OuterRef("form"))
    return (
        Category.objects.filter(tree__is_current=True, is_active=True, public=True)
        .filter(Q(parent__isnull=True) | Q(parent__is_active=True))
        .exclude(Exists(active_children))
        .annotate(has_questions=Exists(has_questions))
        .select_related("parent", "form")
        .order_by("parent__sort", "parent__code", "sort", "code")
    )


def public_cases():
    """The door for Open311 reads: the cases marked public, to anyone.

    Staff pages read through ``restrict``; this is the public feed, which shows a case's
    place, category and progress and never its reporter (see ``_scrub``).
    """
    return Case.objects.filter(public=True)


def _changeset() -> datetime.datetime | None:
    """When the services or their definitions last changed: the current tree's publication,
    or a later audited edit of a category, the tree, a form or a question."""
    tree = CategoryTree.objects.filter(is_current=True).first()
    edited = AuditEvent.objects.filter(target_type__in=SERVICE_TYPES).aggregate(last=Max("at"))
    moments = [moment for moment in (tree and tree.created_at, edited["last"]) if moment]
    return max(moments, default=None)


@open311_view(*READ)
def discovery(request, fmt):
    changeset = _dt(_changeset())
    suffix = f"discovery.{fmt}"
    url = request.build_absolute_uri(request.path)
    url = url[: -len(suffix)].rstrip("/") if url.endswith(suffix) else url
    body = {
        "changeset": changeset,
        "contact": settings.WANGGE_OPEN311_CONTACT or gettext(DEFAULT_CONTACT),
        "key_service": settings.WANGGE_OPEN311_KEY_SERVICE or gettext(DEFAULT_KEY_SERVICE),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", body)


def _service(category: Category) -> dict:
    parent = category.parent
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name,
        "metadata": bool(category.has_questions),
        "type": "realtime",
        "keywords": ", ".join(name for name in (parent and parent.name, category.name) if name),
        "group": parent.name if parent else None,
    }


@open311_view(*READ)
def services_list(request, fmt):
    return render(fmt, "services", [_service(category) for category in offered_categories()])


@open311_view(*READ)
def service_definition(request, fmt, code):
    category = offered_categories().filter(code=code).first()
    if category is None:
        raise Open311Error(404, gettext("No service “%(code)s”") % {"code": code})
    body = {"service_code": category.code, "attributes": open311_attributes(category.form)}
    return render(fmt, "service_definition", body)


@open311_view(*READ, "POST")
def requests_view(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    return _list(request, fmt)


@open311_view(*READ)
def request_detail(request, fmt, request_id):
    cases = list(_for_output(public_cases().filter(number=request_id)))
    if not cases:
        raise Open311Error(
            404, gettext("No public case numbered %(number)s") % {"number": request_id}
        )
    return render(fmt, "service_requests", _present(cases, extensions=_flag(request.GET)))


@open311_view(*READ)
def token(request, fmt, token):
    if not ratelimit.hit(f"open311:token:{client_ip(request)}", limit=TOKEN_LIMIT_PER_MINUTE):
        raise Open311Error(429, gettext("Too many look-ups: try again later"))
    case = public_cases().filter(tracking_code=token.strip().upper()).first()
    if case is None:
        raise Open311Error(
            404, gettext("No public case with tracking code %(code)s") % {"code": token}
        )
    return render(fmt, "service_requests", [{"service_request_id": case.number, "token": token}])


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _flag(query) -> bool:
    return (query.get("extensions") or "").strip().lower() in {"true", "1", "yes"}


def _moment(query, name: str) -> datetime.datetime | None:
    value = (query.get(name) or "").strip()
    if not value:
        return None
    # "+08:00" sent unescaped in a query string arrives as " 08:00".
    value = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value)
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(400, _about(name, gettext(_BAD_DATE)))
    if timezone.is_naive(moment):
        raise Open311Error(400, _about(name, gettext("give the time zone (like +08:00 or Z)")))
    return moment


def _window(query) -> tuple[datetime.datetime, datetime.datetime]:
    start, end = _moment(query, "start_date"), _moment(query, "end_date")
    if start is None and end is None:
        end = timezone.now()
        start = end - WINDOW
    elif start is None:
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    if start > end:
        raise Open311Error(400, gettext("start_date may not be after end_date"))
    if end - start > WINDOW:
        raise Open311Error(
            400,
            gettext("start_date and end_date may be at most %(n)s days apart") % {"n": WINDOW.days},
        )
    return start, end


def _positive(query, name: str, default: int, maximum: int | None = None) -> int:
    value = (query.get(name) or "").strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise Open311Error(400, _about(name, gettext("should be a whole number above 0")))
    if maximum is not None and int(value) > maximum:
        raise Open311Error(
            400, _about(name, gettext("may not be more than %(n)s") % {"n": maximum})
        )
    return int(value)


def _list(request, fmt):
    query = request.GET
    cases = public_cases()
    ids = _split(query.get("service_request_id"))
    if ids:
        # Asked by number: overrides the other filters, and shows merged and void cases too.
        if len(ids) > MAX_IDS:
            raise Open311Error(
                400,
                _about("service_request_id", gettext("at most %(n)s at a time") % {"n": MAX_IDS}),
            )
        cases = cases.filter(number__in=ids)
    else:
        cases = cases.exclude(state__in=[State.MERGED, State.VOID])
        codes = _split(query.get("service_code"))
        if codes:
            cases = cases.filter(category__code__in=codes)
        start, end = _window(query)
        cases = cases.filter(created_at__gte=start, created_at__lte=end)
        statuses = {status.lower() for status in _split(query.get("status"))}
        unknown = statuses - {"open", "closed"}
        if unknown:
            got = pgettext("list separator", ", ").join(unknown)
            raise Open311Error(
                400,
                _about("status", gettext("only open or closed (not %(got)s)") % {"got": got}),
            )
        if statuses == {"open"}:
            cases = cases.filter(state__in=OPEN_STATES)
        elif statuses == {"closed"}:
            cases = cases.filter(state=State.CLOSED)
    page = _positive(query, "page", 1, MAX_PAGE)
    size = _positive(query, "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    rows = list(_for_output(cases).order_by("-created_at", "-id")[(page - 1) * size : page * size])
    return render(fmt, "service_requests", _present(rows, extensions=_flag(query)))


def _for_output(cases):
    # Staff notes are not even read here.
    public_events = CaseEvent.objects.filter(public=True).defer("note", "data").order_by("at", "id")
    return cases.select_related(
        "category", "grid__parent__parent", "level", "agency", "building", "merged_into"
    ).prefetch_related(Prefetch("events", queryset=public_events, to_attr="public_events"))


def _scrub(text: str, case: Case) -> str:
    """Public text without the reporter's name or phone (residents write them into it)."""
    if not text:
        return text
    names = {case.reporter_name.strip(), *case.reporter_name.split()}
    for name in sorted((n for n in names if len(n) >= 2), key=len, reverse=True):
        text = text.replace(name, "*" * len(name))
    phone = case.reporter_phone
    if phone and len(phone) >= 7:
        text = text.replace(phone, mask_phone(phone))
    return _MOBILE.sub(lambda m: mask_phone("".join(m.groups())), text)


def _responsible(case: Case) -> str:
    """Who holds the case: the outside agency, the level it was raised to, or its grid."""
    if case.agency_id:
        return case.agency.name
    if case.level_id:
        return case.level.name
    grid = case.grid
    if grid.kind == NodeKind.MICRO_GRID and grid.parent_id:
        grid = grid.parent
    return f"{grid.parent.name}{grid.name}" if grid.parent_id else grid.name


def _status_notes(case: Case) -> str | None:
    if case.state == State.MERGED:
        target = case.merged_into
        if target is not None and target.public:
            return gettext("Merged into case %(number)s") % {"number": target.number}
        return gettext("Handled together with another case")
    if case.state == State.VOID:
        return gettext("Voided")
    # The latest reply written for the resident; a note is never public.
    for event in reversed(case.public_events):
        if event.reply:
            return _scrub(event.reply, case)
    return None


def _notice(case: Case) -> str:
    """Where the case stands, in the words the resident pages use, with its next deadline."""
    words = str(RESIDENT_STATE.get(case.state) or State(case.state).label)
    local = _zone()
    if case.state == State.REPORTED and case.respond_by:
        return gettext("%(words)s (taken up by %(time)s)") % {
            "words": words,
            "time": f"{timezone.localtime(case.respond_by, local):%Y-%m-%d %H:%M}",
        }
    if case.state in OPEN_STATES and case.due_at:
        return gettext("%(words)s (promised by %(time)s)") % {
            "words": words,
            "time": f"{timezone.localtime(case.due_at, local):%Y-%m-%d %H:%M}",
        }
    return words


def _category_path(category: Category, cache: dict) -> list[str]:
    """The names from the tree's root down to ``category`` (one query per tree)."""
    names = [category.name]
    for _depth in range(16):
        if category.parent_id is None:
            break
        if category.parent_id not in cache:
            cache.update({c.pk: c for c in Category.objects.filter(tree=category.tree_id)})
        category = cache.get(category.parent_id)
        if category is None:
            break
        names.append(category.name)
    return list(reversed(names))


def _present(cases: list[Case], *, extensions: bool) -> list[dict]:
    rows, categories = [], {}
    for case in cases:
        address = case.address or (case.building.address if case.building_id else "")
        row = {
            "service_request_id": case.number,
            "status": "open" if case.state in OPEN_STATES else "closed",
            "status_notes": _status_notes(case),
            "service_name": case.category.name,
            "service_code": case.category.code,
            "description": _scrub(case.description or case.title, case),
            "agency_responsible": _responsible(case),
            "service_notice": _notice(case),
            "requested_datetime": _dt(case.created_at),
            "updated_datetime": _dt(case.updated_at),
            "expected_datetime": _dt(case.due_at),
            "address": address or None,
            "address_id": case.building_id,
            "zipcode": None,
            "lat": case.lat,
            "long": case.lng,
            "media_url": None,
        }
        if extensions:
            row["extended_attributes"] = {
                "state": case.state,
                "state_label": str(State(case.state).label),
                "category_path": _category_path(case.category, categories),
                # The steps the resident follows: their plain words and the replies written
                # for the resident (``public_text``); staff notes never.
                "notes": [
                    {
                        "action": event.action,
                        "at": _dt(event.at),
                        "label": public_text.words(event.action),
                        "note": _scrub(event.reply, case) or None,
                    }
                    for event in case.public_events
                ],
            }
        rows.append(row)
    return rows


# --- Writing: POST requests ---------------------------------------------------------------------


def offered_by_code() -> dict[str, Category]:
    """The services by code, kept by the process until a standard changes."""
    return memo.kept(
        ("open311.services",),
        lambda: {category.code: category for category in offered_categories()},
    )


def _read_body(request) -> tuple[dict[str, str], dict]:
    """The POST's fields (last value wins) and its ``attribute[CODE]`` answers."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_big = Open311Error(
        413,
        gettext("The request is too large (at most %(n)s KB)") % {"n": MAX_BODY // 1024},
    )
    if length > MAX_BODY:
        raise too_big
    pairs: list[tuple[str, object]] = []
    if request.content_type == "multipart/form-data":
        try:
            pairs = [(key, value) for key, values in request.POST.lists() for value in values]
        except RequestDataTooBig as exc:
            raise too_big from exc
        except MultiPartParserError as exc:
            raise Open311Error(400, gettext("The request cannot be read")) from exc
    else:
        try:
            raw = request.body
        except RequestDataTooBig as exc:
            raise too_big from exc
        if len(raw) > MAX_BODY:
            raise too_big
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Open311Error(400, gettext("The request must be in UTF-8")) from exc
        if request.content_type == "application/json":
            pairs = _json_pairs(text)
        else:
            try:
                pairs = parse_qsl(
                    text,
                    keep_blank_values=True,
                    encoding="utf-8",
                    errors="strict",
                    max_num_fields=MAX_FIELDS,
                )
            except UnicodeDecodeError as exc:
                raise Open311Error(400, gettext("The request must be in UTF-8")) from exc
            except ValueError as exc:
                raise Open311Error(400, _too_many_fields()) from exc
    params: dict[str, str] = {}
    answers: dict[str, list] = {}
    many: set[str] = set()
    for key, value in pairs:
        if any(isinstance(item, str) and "\x00" in item for item in _items(value)):
            raise Open311Error(400, _about(key, gettext("has characters that are not valid")))
        match = _ATTRIBUTE.match(key)
        if match:
            code, brackets = match.groups()
            answers.setdefault(code, [])
            if isinstance(value, list):
                answers[code].extend(value)
                many.add(code)
            else:
                answers[code].append(value)
            if brackets:
                many.add(code)
        elif value is not None:
            params[key] = value if isinstance(value, str) else _scalar(key, value)
    attributes = {
        code: values if code in many or len(values) > 1 else values[0]
        for code, values in answers.items()
    }
    if "api_key" not in params and request.GET.get("api_key"):
        params["api_key"] = request.GET["api_key"]
    return params, attributes


def _too_many_fields() -> str:
    return gettext("Too many fields (at most %(n)s)") % {"n": MAX_FIELDS}


def _items(value) -> list:
    return list(value) if isinstance(value, list) else [value]


def _scalar(key: str, value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise Open311Error(400, _about(key, gettext("should be text or a number")))
    return str(value)


def _json_pairs(text: str) -> list[tuple[str, object]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise Open311Error(400, gettext("Not valid JSON")) from exc
    if not isinstance(data, dict):
        raise Open311Error(400, gettext("The JSON body should be an object"))
    if len(data) > MAX_FIELDS:
        raise Open311Error(400, _too_many_fields())
    pairs = []
    for key, value in data.items():
        if key == "attribute" and isinstance(value, dict):
            for code, answer in value.items():
                pairs.append((f"attribute[{code}]", answer))
        else:
            pairs.append((key, value))
    return pairs


def _client(params: dict) -> Open311Client:
    key = (params.get("api_key") or "").strip()
    if not key:
        raise Open311Error(403, gettext("No api_key"))
    key_hash = open311_key_hash(key)
    client = memo.kept(
        ("open311.client", key_hash),
        lambda: (
            Open311Client.objects.filter(key_hash=key_hash, is_active=True)
            .select_related("node")
            .first()
        ),
    )
    if client is None:
        raise Open311Error(403, gettext("The api_key is not valid or switched off"))
    return client


def _full_name(first: str, last: str) -> str:
    if not (first and last):
        return first or last
    if _CJK.search(first + last):
        return f"{last}{first}"  # the family name first
    return f"{first} {last}"


def _coordinate(value: str) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _located(lng: float, lat: float) -> Node | None:
    found = int(get_index().locate_many([lng], [lat])[0])
    return services.grid_by_id(found) if found >= 0 else None


def _place(params: dict, client: Open311Client, problems: list[str]) -> dict:
    """Where the request is, as ``report()`` keywords; the client's area checked (403)."""
    lat_text = (params.get("lat") or "").strip()
    lng_text = (params.get("long") or "").strip()
    crs = (params.get("crs") or CRS.WGS84).strip().lower()
    address = (params.get("address_string") or "").strip()
    address_id = (params.get("address_id") or "").strip()
    if crs not in CRS.values:
        problems.append(
            _about(
                "crs",
                gettext("unknown coordinate system “%(crs)s” (there are wgs84, gcj02, bd09)")
                % {"crs": crs},
            )
        )
    if len(address) > MAX_ADDRESS:
        problems.append(
            _about(
                "address_string",
                gettext("the address may have at most %(n)s characters") % {"n": MAX_ADDRESS},
            )
        )
    building = None
    if address_id:
        if not address_id.isdigit():
            problems.append(_about("address_id", gettext("should be a building's number")))
        else:
            building = Building.objects.filter(pk=int(address_id)).select_related("grid").first()
            if building is None:
                problems.append(
                    _about(
                        "address_id",
                        gettext("no building numbered %(number)s") % {"number": address_id},
                    )
                )
    lng = lat = None
    if lat_text or lng_text:
        lat, lng = _coordinate(lat_text), _coordinate(lng_text)
        if not (lat_text and lng_text):
            problems.append(
                _about("lat/long", gettext("give both the latitude lat and the longitude long"))
            )
        elif lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
            problems.append(_about("lat/long", gettext("not a valid latitude and longitude")))
    elif not address and not address_id:
        problems.append(
            gettext(
                "Give the place: latitude lat and longitude long, or the address address_string,"
                " or the building address_id"
            )
        )
    if problems:
        raise Open311Error(400, *problems)

    place = {"address": address, "building": building, "crs": CRS.WGS84}
    if lng is not None and lat is not None:
        lng, lat = (float(value) for value in geo.to_wgs84(lng, lat, crs))
        grid = _located(lng, lat)
        if grid is None:
            raise Open311Error(
                400,
                _about(
                    "lat/long",
                    gettext("the place is in none of this platform's grids: it cannot be taken"),
                ),
            )
        place.update(lng=lng, lat=lat)
    elif building is not None:
        grid = building.grid
        if building.lng is not None and building.lat is not None:
            grid = _located(building.lng, building.lat) or building.grid
            place["grid"] = grid
    else:
        matches = list(Building.objects.filter(address=address).select_related("grid")[:2])
        if len(matches) == 1:
            place["building"] = building = matches[0]
            grid = building.grid
            if building.lng is not None and building.lat is not None:
                grid = _located(building.lng, building.lat) or building.grid
            place["grid"] = grid
        elif client.node is not None and client.node.is_grid:
            grid = place["grid"] = client.node
        else:
            raise Open311Error(
                400,
                _about(
                    "address_string",
                    gettext(
                        "the address alone does not tell the grid: give the latitude and"
                        " longitude (lat/long) or the building (address_id) too"
                    ),
                ),
            )
    if client.node is not None and not grid.path.startswith(client.node.path):
        raise Open311Error(
            403,
            gettext("The place is outside this client's area (%(place)s)")
            % {"place": client.node.name},
        )
    return place


_FIELD_NAMES = {
    "lng": "lat/long",
    "lat": "lat/long",
    "grid": "address_string",
    "building": "address_id",
    "reporter_phone": "phone",
    "reporter_name": "first_name/last_name",
    "category": "service_code",
}


def _describe(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    described = []
    for field, messages in exc.message_dict.items():
        if field.startswith("attributes."):
            name = f"attribute[{field.removeprefix('attributes.')}]"
        else:
            name = _FIELD_NAMES.get(field, field)
        described += [_about(name, message) for message in messages]
    return described


@memo.steady()
def _create(request, fmt):
    params, attributes = _read_body(request)
    client = _client(params)
    if not ratelimit.hit(
        f"open311:post:{client.pk}", limit=settings.WANGGE_OPEN311_POSTS_PER_MINUTE
    ):
        raise Open311Error(429, gettext("Too many requests sent: try again later"))
    idempotency = request.headers.get("Idempotency-Key", "").strip()
    problems: list[str] = []
    if len(idempotency) > MAX_IDEMPOTENCY_KEY:
        problems.append(
            _about(
                "Idempotency-Key",
                gettext("at most %(n)s characters") % {"n": MAX_IDEMPOTENCY_KEY},
            )
        )
    code = (params.get("service_code") or "").strip()
    category = offered_by_code().get(code) if code else None
    if not code:
        problems.append(_about("service_code", gettext("required")))
    elif category is None:
        problems.append(_about("service_code", gettext("no service “%(code)s”") % {"code": code}))
    else:
        _answers, answer_errors = clean_answers(category.form, attributes)
        problems += [_about(f"attribute[{key}]", message) for key, message in answer_errors.items()]
    description = (params.get("description") or "").strip()
    if len(description) > services.MAX_DESCRIPTION:
        problems.append(
            _about(
                "description",
                gettext("at most %(n)s characters (it has %(has)s)")
                % {"n": services.MAX_DESCRIPTION, "has": len(description)},
            )
        )
    name = _full_name(
        (params.get("first_name") or "").strip(), (params.get("last_name") or "").strip()
    )
    if len(name) > MAX_NAME:
        problems.append(
            _about(
                "first_name/last_name",
                gettext("the name may have at most %(n)s characters") % {"n": MAX_NAME},
            )
        )
    phone = (params.get("phone") or "").strip()
    if phone:
        try:
            phone = phones.validate(phone)
        except phones.InvalidPhone as exc:
            problems.append(_about("phone", exc))
    place = _place(params, client, problems)  # raises with the problems found so far

    try:
        case = services.report(
            actor=None,
            channel=Channel.OPEN311,
            category=category,
            description=description,
            title="" if description else category.name,
            reporter_name=name,
            reporter_phone=phone,
            attributes=attributes,
            public=True,
            external_source=f"open311:{client.pk}"[:16],
            idempotency_key=f"open311:{client.pk}:{idempotency}" if idempotency else None,
            **place,
        )
    except ValidationError as exc:
        raise Open311Error(400, *_describe(exc)) from exc
    track = request.build_absolute_uri(reverse("case-track", kwargs={"code": case.tracking_code}))
    said = {"code": case.tracking_code, "url": track}
    if case.respond_by:
        said["time"] = f"{timezone.localtime(case.respond_by, _zone()):%Y-%m-%d %H:%M}"
        notice = gettext(
            "We have your report; it will be taken up by %(time)s. Tracking code %(code)s: see"
            " how it goes at %(url)s."
        )
    else:
        notice = gettext("We have your report. Tracking code %(code)s: see how it goes at %(url)s.")
    notice %= said
    body = [{"service_request_id": case.number, "service_notice": notice, "account_id": None}]
    return render(fmt, "service_requests", body, status=201)
