from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from wangge.core import exports, saved
from wangge.core.errors import ValidationError
from wangge.core.filters import AuditFilter
from wangge.core.forms import ImportForm
from wangge.core.imports import REGISTRY, ExportFilterError, save_upload, start_import
from wangge.core.models import AuditEvent, Job, SavedView
from wangge.core.presenters import ACTION_LABELS, present
from wangge.core.scope import get_scope, permission_name


@never_cache
@require_GET
def healthz(request):
    """Liveness with the database checked: ``{"status": "ok"}`` or a 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return JsonResponse({"status": "error", "database": str(exc)[:200]}, status=503)
    return JsonResponse({"status": "ok"})


@login_required
def audit_list(request):
    events = AuditEvent.objects.restrict(request.user, "view")
    if not get_scope(request.user).has_perm("core.view_auditevent"):
        return render(request, "core/forbidden.html", status=404)
    filterset = audit_filterset(request, events)
    status = 200
    if filterset.is_bound and not filterset.is_valid():
        status, shown = 400, events.none()
    else:
        shown = filterset.qs
    page = Paginator(shown.select_related("node"), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_list.html",
        {
            "filterset": filterset,
            "page": page,
            "query": query.urlencode(),
            "rows": present(list(page), request.user),
            "filtered": any(request.GET.get(key) for key in filterset.filters),
        },
        status=status,
    )


# What the audit log's "kind of object" offers: the things the services change.
AUDITED_ELSEWHERE = ["accounts.user", "accounts.membership", "accounts.apitoken", "core.savedview"]


def audited_kinds() -> list[tuple[str, str]]:
    """``(target_type, name)`` of every kind of object the audit log holds events of."""
    kinds = {
        model._meta.label_lower: str(model._meta.verbose_name)
        for model in apps.get_models()
        if model.__module__.startswith("wangge.") and hasattr(model, "scope_field")
    }
    for label in AUDITED_ELSEWHERE:
        kinds[label] = str(apps.get_model(label)._meta.verbose_name)
    kinds.pop("core.auditevent", None)
    return sorted(kinds.items(), key=lambda item: item[1])


def audit_filterset(request, events) -> AuditFilter:
    """The audit log's filters as the page shows them: the action and the kind of object by
    name, the place from the caller's places, the days from a date picker. Who did it is
    found by name; the API's ``actor`` and ``target_id`` ride along hidden."""
    from wangge.territory.pickers import place_picker

    filterset = AuditFilter(request.GET or None, events, request=request)
    fields = filterset.form.fields
    actions = sorted(ACTION_LABELS.items(), key=lambda item: str(item[1]))
    fields["action"].widget = forms.Select(choices=[("", _("Any")), *actions])
    fields["target_type"].widget = forms.Select(choices=[("", _("Any")), *audited_kinds()])
    fields["node"].widget = place_picker(request.user)
    for name in ("actor", "target_id"):
        fields[name].widget = forms.HiddenInput()
    for name in ("who", "target"):
        fields[name].widget = forms.TextInput(attrs={"type": "search"})
    return filterset


def importable_kinds(user):
    """The kinds this user may import: those whose model they may add somewhere."""
    scope = get_scope(user)
    return [
        importer
        for importer in REGISTRY.values()
        if importer.importable
        and scope.has_perm(
            f"{importer.model._meta.app_label}.import_{importer.model._meta.model_name}"
        )
    ]


@login_required
def import_page(request):
    kinds = importable_kinds(request.user)
    if not kinds:
        return render(request, "core/forbidden.html", status=404)
    form = ImportForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        path = save_upload(upload)
        job = start_import(
            actor=request.user,
            kind=form.cleaned_data["kind"],
            path=path,
            filename=upload.name,
            dry_run=form.cleaned_data["dry_run"],
        )
        return redirect("job-detail", pk=job.pk)
    jobs = Job.objects.filter(created_by=request.user, kind="import")[:10]
    return render(request, "core/import.html", {"form": form, "kinds": kinds, "jobs": jobs})


@login_required
def job_detail(request, pk):
    job = get_object_or_404(Job, pk=pk, created_by=request.user)
    template = "core/_job.html" if request.headers.get("HX-Request") else "core/job.html"
    return render(request, template, {"job": job})


@login_required
def import_template(request, kind):
    importer = REGISTRY.get(kind)
    if importer is None or importer not in importable_kinds(request.user):
        return render(request, "core/forbidden.html", status=404)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = exports.disposition(
        _("%(what)s-template.csv") % {"what": importer.spec.title}
    )
    exports.write_csv(importer.spec, [], response)
    return response


@login_required
def export(request, kind, fmt):
    """What a list page shows, as a spreadsheet: the list's own filters (its query string)
    applied to the user's scope."""
    importer = REGISTRY.get(kind)
    if (
        importer is None
        or fmt not in {"csv", "xlsx"}
        or not get_scope(request.user).has_perm(permission_name(importer.model, "view"))
    ):
        return render(request, "core/forbidden.html", status=404)
    try:
        queryset = importer.filtered(
            importer.export_queryset(request.user), request.GET, request=request
        )
    except ExportFilterError as error:
        return render(request, "core/export_error.html", {"errors": error.errors}, status=400)
    return exports.respond(importer, queryset, request.user, fmt)


@login_required
@require_POST
def saved_view_save(request):
    """Keep the list's current filters under a name, then show the list through it."""
    page = request.POST.get("page", "")
    if page not in saved.LISTS:
        return render(request, "core/forbidden.html", status=404)
    query = request.POST.get("query", "")
    try:
        view = saved.save_view(
            actor=request.user, page=page, name=request.POST.get("name", ""), query=query
        )
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
        target = f"{saved.reverse(saved.LISTS[page])}?{saved.clean_query(query)}"
        return redirect(target)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(saved.url(view))


@login_required
@require_POST
def saved_view_delete(request, pk):
    view = get_object_or_404(SavedView, pk=pk, user=request.user)
    page, name = view.page, view.name
    saved.delete_view(actor=request.user, view=view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": name})
    return redirect(saved.LISTS[page])
