"""What every API router shares (errors, pagination) and the core routes: audit events, jobs,
imports and exports. Who is calling is accounts' to say (``accounts.api.AUTH``)."""

import datetime
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_noop
from ninja import File, Form, Query, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.parser import Parser

from wangge.core import exports, inputs, services
from wangge.core.filters import AuditFilter, query_schema
from wangge.core.imports import REGISTRY, ExportFilterError, save_upload, start_import
from wangge.core.models import AuditEvent, Job, Notification
from wangge.core.scope import get_scope

PROBLEM = "application/problem+json"


# --- Errors as application/problem+json (RFC 9457) ----------------------------------------------


def problem(status: int, title: str, detail: str = "", **extra) -> HttpResponse:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str), status=status, content_type=PROBLEM
    )


def _field_errors(exc: DjangoValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": field, "message": " ".join(str(m) for e in errors for m in e.messages)}
            for field, errors in exc.error_dict.items()
        ]
    return [{"field": "", "message": message} for message in exc.messages]


def install_error_handlers(api) -> None:
    @api.exception_handler(Http404)
    def not_found(request, exc):
        return problem(404, "Not Found", gettext("Not found, or outside the places you work on"))

    @api.exception_handler(DjangoValidationError)
    def invalid(request, exc):
        errors = _field_errors(exc)
        return problem(400, "Bad Request", "；".join(e["message"] for e in errors), errors=errors)

    @api.exception_handler(NinjaValidationError)
    def invalid_request(request, exc):
        errors = [
            {"field": _field_name(error.get("loc", ())), "message": validation_message(error)}
            for error in exc.errors
        ]
        detail = "；".join(
            f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
        )
        return problem(
            400, "Bad Request", detail or gettext("The request is not valid"), errors=errors
        )

    @api.exception_handler(OverflowError)
    def out_of_range(request, exc):
        # An id of thirty digits cannot be looked up in SQLite: bad input, not a server error.
        return problem(400, "Bad Request", gettext("A number in the request is too large"))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):
        # Django's own answer would be an HTML page.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        detail = gettext("The request is too large (at most %(n)s KB)") % {"n": limit}
        return problem(413, "Content Too Large", detail)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        response = problem(401, "Unauthorized", gettext("Sign in, or send a valid token"))
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        cause = exc.__cause__
        if isinstance(cause, NotJSON):
            # A body sent as something else than JSON: nothing is read from it.
            return problem(
                415,
                "Unsupported Media Type",
                str(cause),
                errors=[{"field": "Content-Type", "message": str(cause)}],
            )
        if isinstance(cause, RequestDataTooBig):
            return too_big(request, cause)
        if isinstance(cause, ValueError) and str(exc).startswith("Cannot parse request body"):
            # ninja's "Cannot parse request body": the JSON itself is broken.
            detail = gettext("The body is not valid JSON")
            return problem(
                400, "Bad Request", detail, errors=[{"field": "body", "message": detail}]
            )
        titles = {
            400: "Bad Request",
            403: "Forbidden",
            404: "Not Found",
            409: "Conflict",
            413: "Content Too Large",
            429: "Too Many Requests",
        }
        return problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc))


class NotJSON(ValueError):
    """A JSON body sent under another content type."""


class JSONOnlyParser(Parser):
    """Bodies of the API are JSON, sent as JSON: ``application/json`` or a ``+json`` type.
    Anything else (a form, ``text/plain`` — which a page of another site may send without
    asking) is refused with 415 before it is read, the same for every operation."""

    def parse_body(self, request):
        kind = getattr(request, "content_type", None)
        # ninja hands the parts of a multipart body in as requests of their own, without a
        # content type: those were judged as the multipart request.
        if kind is not None and not (kind == "application/json" or kind.endswith("+json")):
            raise NotJSON(
                gettext("Send the body as JSON (Content-Type: application/json), not “%(type)s”")
                % {"type": kind or gettext("no content type")}
            )
        return super().parse_body(request)


def _field_name(loc) -> str:
    """The field as the caller calls it: ``title`` for a body's ``("body", "payload",
    "title")`` (the view's parameter name means nothing to them), ``limit`` for a query's."""
    parts = [str(part) for part in loc]
    if parts[:1] == ["body"] and len(parts) > 2:
        return ".".join(parts[2:])
    return ".".join(parts[1:])


# A message in words for each kind of error pydantic finds in a request.
def validation_message(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    given = error.get("given", error.get("input"))
    if kind == "missing":
        return gettext("This field is required")
    if kind == "string_too_long" and isinstance(given, str):
        return inputs.too_long(ctx.get("max_length"), len(given))
    if kind == "string_too_long":
        return gettext("At most %(n)s characters") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return gettext("At least %(n)s characters") % {"n": ctx.get("min_length")}
    if kind in ("too_long",):
        return gettext("At most %(n)s items") % {"n": ctx.get("max_length")}
    if kind in ("enum", "literal_error"):
        return gettext("Unknown value “%(value)s” (it may be: %(allowed)s)") % {
            "value": given,
            "allowed": ctx.get("expected", ""),
        }
    words = {
        "string_type": gettext_noop("Should be text"),
        "string_unicode": gettext_noop("Should be text"),
        "int_type": gettext_noop("Should be a whole number"),
        "int_parsing": gettext_noop("Should be a whole number"),
        "int_from_float": gettext_noop("Should be a whole number"),
        "int_parsing_size": gettext_noop("The number is too large"),
        "float_type": gettext_noop("Should be a number"),
        "float_parsing": gettext_noop("Should be a number"),
        "finite_number": gettext_noop("Should be a finite number"),
        "decimal_type": gettext_noop("Should be a number"),
        "decimal_parsing": gettext_noop("Should be a number"),
        "decimal_max_digits": gettext_noop("The number has too many digits"),
        "decimal_max_places": gettext_noop("The number has too many decimals"),
        "decimal_whole_digits": gettext_noop("The number has too many digits"),
        "bool_type": gettext_noop("Should be true or false"),
        "bool_parsing": gettext_noop("Should be true or false"),
        "date_type": gettext_noop("Should be a date like 2027-03-01"),
        "date_parsing": gettext_noop("Should be a date like 2027-03-01"),
        "date_from_datetime_parsing": gettext_noop("Should be a date like 2027-03-01"),
        "date_from_datetime_inexact": gettext_noop("Should be a date like 2027-03-01"),
        "datetime_type": gettext_noop("Should be a time like 2027-03-01T09:30:00+08:00"),
        "datetime_parsing": gettext_noop("Should be a time like 2027-03-01T09:30:00+08:00"),
        "datetime_from_date_parsing": gettext_noop(
            "Should be a time like 2027-03-01T09:30:00+08:00"
        ),
        "dict_type": gettext_noop("Should be an object"),
        "model_type": gettext_noop("Should be an object"),
        "model_attributes_type": gettext_noop("Should be an object"),
        "list_type": gettext_noop("Should be a list"),
        "json_invalid": gettext_noop("The body is not valid JSON"),
    }
    if kind in words:
        return gettext(words[kind])
    limits = {
        "greater_than": (gettext_noop("Should be more than %(n)s"), "gt"),
        "greater_than_equal": (gettext_noop("Should be at least %(n)s"), "ge"),
        "less_than": (gettext_noop("Should be less than %(n)s"), "lt"),
        "less_than_equal": (gettext_noop("Should be at most %(n)s"), "le"),
    }
    if kind in limits:
        text, key = limits[kind]
        return gettext(text) % {"n": ctx.get(key)}
    return str(error.get("msg", "")).removeprefix("Value error, ")


# Every operation may answer these, besides what its route declares: input it cannot read
# (400), no valid token (401, where a token is needed), nothing of that id within the caller's
# places (404), a body over the upload limit (413, where there is a body), a JSON body sent
# as something else (415, where the body is JSON).
COMMON_PROBLEMS = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    413: "Content Too Large",
    415: "Unsupported Media Type",
}
PROBLEM_SCHEMA = {
    "title": "Problem",
    "description": "An error, as RFC 9457 problem details.",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status"],
}


def document_problems(schema: dict) -> dict:
    """The OpenAPI document with every error answer an operation may give, as problem+json."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    content = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in schema["paths"].values():
        for operation in operations.values():
            responses = {int(status): answer for status, answer in operation["responses"].items()}
            for status, title in COMMON_PROBLEMS.items():
                if status == 401 and not operation.get("security"):
                    continue
                if status == 413 and "requestBody" not in operation:
                    continue
                json_body = "application/json" in operation.get("requestBody", {}).get(
                    "content", {}
                )
                if status == 415 and not json_body:
                    continue
                responses.setdefault(status, {"description": title})
            for status, answer in responses.items():
                if status >= 400:
                    answer["content"] = content
            operation["responses"] = dict(sorted(responses.items()))
    return schema


# --- Pagination ----------------------------------------------------------------------------------


class Page(LimitOffsetPagination):
    """``?limit=&offset=`` → ``{"count", "items"}``; at most 500 a page."""

    class Input(Schema):
        limit: int = 50
        offset: int = 0

    def paginate_queryset(self, queryset, pagination, **params):
        if pagination.limit < 1 or pagination.limit > 500:
            raise HttpError(400, gettext("limit must be from 1 to 500"))
        if pagination.offset < 0:
            raise HttpError(400, gettext("offset may not be negative"))
        return super().paginate_queryset(queryset, pagination, **params)


class Presented:
    """A queryset that paginates like one and presents only the items of the page it gives."""

    def __init__(self, queryset, present):
        self.queryset = queryset
        self.present = present

    def count(self):
        return self.queryset.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, item):
        return [self.present(obj) for obj in self.queryset[item]]


def apply_filters(filterset_class, params, queryset, request):
    """Run a filter set over a restricted queryset; bad values are a 400 naming the field."""
    data = {k: v for k, v in params.model_dump().items() if v is not None}
    filterset = filterset_class(data, queryset=queryset, request=request)
    if not filterset.is_valid():
        errors = [
            {"field": field, "message": " ".join(messages)}
            for field, messages in filterset.errors.items()
        ]
        raise DjangoValidationError({e["field"]: e["message"] for e in errors})
    return filterset.qs


# --- Audit ------------------------------------------------------------------------------------

router = Router(tags=["audit, jobs, imports"])


class AuditEventOut(Schema):
    id: int
    at: datetime.datetime
    actor_id: int | None
    actor_name: str
    node_id: int | None
    action: str
    target_type: str
    target_id: str
    target_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str
    reason: str


AuditQuery = query_schema(AuditFilter, "AuditQuery")


@router.get("/audit-events", response=list[AuditEventOut])
@paginate(Page)
def list_audit_events(request, filters: Query[AuditQuery]):
    """Audit events within the caller's scope, newest first; filter by object, actor, time."""
    events = AuditEvent.objects.restrict(request.user, "view")
    return apply_filters(AuditFilter, filters, events, request)


@router.get("/audit-events/{event_id}", response=AuditEventOut)
def get_audit_event(request, event_id: int):
    return get_object_or_404(AuditEvent.objects.restrict(request.user, "view"), pk=event_id)


# --- Notifications ------------------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    text: str
    url: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


@router.get("/notifications", response=list[NotificationOut])
@paginate(Page)
def list_notifications(request, unread: bool = False):
    """The caller's own notifications (late cases, escalations), newest first."""
    notes = Notification.objects.filter(user=request.user)
    return notes.filter(read_at__isnull=True) if unread else notes


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def read_notification(request, notification_id: int):
    note = get_object_or_404(Notification.objects.filter(user=request.user), pk=notification_id)
    return services.read_notification(actor=request.user, notification=note)


# --- Jobs, imports and exports ----------------------------------------------------------------


class JobOut(Schema):
    id: int
    kind: str
    state: str
    phase: str = ""
    progress_done: int
    progress_total: int
    percent: int
    result: dict[str, Any] | None
    error: str
    created_at: datetime.datetime
    finished_at: datetime.datetime | None

    @staticmethod
    def resolve_phase(job):
        return job.params.get("phase", "")

    @staticmethod
    def resolve_error(job):
        # The traceback stays in the database for operators; callers get the first line.
        return job.error.splitlines()[0] if job.error else ""


@router.get("/jobs/{job_id}", response=JobOut)
def get_job(request, job_id: int):
    """A job the caller started (an import), with its progress and, when done, its report."""
    return get_object_or_404(Job, pk=job_id, created_by=request.user)


def _importer_for(request, kind: str, action: str):
    importer = REGISTRY.get(kind)
    if importer is None or (action == "import" and not importer.importable):
        raise Http404
    model = importer.model
    perm = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
    if not get_scope(request.user).has_perm(perm):
        raise Http404
    return importer


@router.post("/imports/{kind}", response={202: JobOut, 200: JobOut})
def create_import(request, kind: str, file: File[UploadedFile], dry_run: Form[bool] = False):
    """Import ``buildings``, ``households``, ``persons`` or ``hotline`` (12345 work orders)
    from ``.xlsx`` or ``.csv``.

    Every row is checked first; if any fails nothing is written and the job's result lists
    row, column and message. Small files are done when this returns (200); larger ones are
    queued for a worker (202) — poll ``GET /jobs/{id}``.
    """
    from django.conf import settings

    importer = _importer_for(request, kind, "import")
    if not file.name.lower().endswith((".xlsx", ".csv")):
        raise HttpError(400, gettext("Only .xlsx and .csv files can be read"))
    if file.size > settings.WANGGE_IMPORT_MAX_BYTES:
        raise HttpError(413, gettext("The file is too large"))
    path = save_upload(file)
    job = start_import(
        actor=request.user, kind=importer.kind, path=path, filename=file.name, dry_run=dry_run
    )
    return Status(200 if job.finished_at else 202, job)


@router.get("/exports/{kind}", response={200: None})
def export(request, kind: str, format: str = "xlsx"):
    """The same columns as the import, for everything in the caller's scope, ID and phone
    numbers masked. ``format`` is ``xlsx`` or ``csv``; the other query parameters are the
    filters of the kind's list (as on its page), e.g. ``grid=410102010003001``."""
    importer = _importer_for(request, kind, "view")
    if format not in {"xlsx", "csv"}:
        raise HttpError(400, gettext("format must be xlsx or csv"))
    try:
        queryset = importer.filtered(
            importer.export_queryset(request.user), request.GET, request=request
        )
    except ExportFilterError as error:
        raise HttpError(400, str(error)) from None
    return exports.respond(importer, queryset, request.user, format)
