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
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, gettext_noop, pgettext
from django.views.decorators.csrf import csrf_exempt

from wangge.accounts.services import client_ip
from wangge.cases import public_text, services
from wangge.cases.choices import OPEN_STATES, Channel, State
from wangge.cases.models import Case, Category
from wangge.cases.public import RESIDENT_STATE
from wangge.core import memo, ratelimit
from wangge.core.crypto import mask_phone
from wangge.core.formspec import clean_answers, open311_attributes
from wangge.core.models import Question
from wangge.open311.formats import DEFAULT_FORMAT, FORMATS, Open311Error, about, errors, render
from wangge.open311.intake import (
    MAX_IDEMPOTENCY_KEY,
    MAX_NAME,
    client_for,
    describe,
    full_name,
    place_for,
    read_body,
)
from wangge.open311.public import public_cases, public_steps, services_changed_at
from wangge.people import phone as phones
from wangge.territory.choices import NodeKind

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_CONTACT = gettext_noop("Ask the administrators of this platform")
DEFAULT_KEY_SERVICE = gettext_noop(
    "The platform's administrators issue an api_key with the command wangge open311-key"
)

MAX_IDS = 1000
MAX_PAGE_SIZE = 1000
MAX_PAGE = 100_000
WINDOW = datetime.timedelta(days=90)
TOKEN_LIMIT_PER_MINUTE = 60
# Audited edits of these change what ``services`` and their definitions say.

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
_BAD_DATE = gettext_noop(
    "not a valid time (ISO 8601 with the time zone, like 2026-01-31T14:00:00+08:00)"
)


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


@open311_view(*READ)
def discovery(request, fmt):
    changeset = _dt(services_changed_at())
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
        raise Open311Error(400, about(name, gettext(_BAD_DATE)))
    if timezone.is_naive(moment):
        raise Open311Error(400, about(name, gettext("give the time zone (like +08:00 or Z)")))
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
        raise Open311Error(400, about(name, gettext("should be a whole number above 0")))
    if maximum is not None and int(value) > maximum:
        raise Open311Error(400, about(name, gettext("may not be more than %(n)s") % {"n": maximum}))
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
                about("service_request_id", gettext("at most %(n)s at a time") % {"n": MAX_IDS}),
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
                about("status", gettext("only open or closed (not %(got)s)") % {"got": got}),
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
    public_events = public_steps()
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


@memo.steady()
def _create(request, fmt):
    params, attributes = read_body(request)
    client = client_for(params)
    if not ratelimit.hit(
        f"open311:post:{client.pk}", limit=settings.WANGGE_OPEN311_POSTS_PER_MINUTE
    ):
        raise Open311Error(429, gettext("Too many requests sent: try again later"))
    idempotency = request.headers.get("Idempotency-Key", "").strip()
    problems: list[str] = []
    if len(idempotency) > MAX_IDEMPOTENCY_KEY:
        problems.append(
            about(
                "Idempotency-Key",
                gettext("at most %(n)s characters") % {"n": MAX_IDEMPOTENCY_KEY},
            )
        )
    code = (params.get("service_code") or "").strip()
    category = offered_by_code().get(code) if code else None
    if not code:
        problems.append(about("service_code", gettext("required")))
    elif category is None:
        problems.append(about("service_code", gettext("no service “%(code)s”") % {"code": code}))
    else:
        _answers, answer_errors = clean_answers(category.form, attributes)
        problems += [about(f"attribute[{key}]", message) for key, message in answer_errors.items()]
    description = (params.get("description") or "").strip()
    if len(description) > services.MAX_DESCRIPTION:
        problems.append(
            about(
                "description",
                gettext("at most %(n)s characters (it has %(has)s)")
                % {"n": services.MAX_DESCRIPTION, "has": len(description)},
            )
        )
    name = full_name(
        (params.get("first_name") or "").strip(), (params.get("last_name") or "").strip()
    )
    if len(name) > MAX_NAME:
        problems.append(
            about(
                "first_name/last_name",
                gettext("the name may have at most %(n)s characters") % {"n": MAX_NAME},
            )
        )
    phone = (params.get("phone") or "").strip()
    if phone:
        try:
            phone = phones.validate(phone)
        except phones.InvalidPhone as exc:
            problems.append(about("phone", exc))
    place = place_for(params, client, problems)  # raises with the problems found so far

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
        raise Open311Error(400, *describe(exc)) from exc
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
