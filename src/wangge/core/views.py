from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from wangge.core import exports, saved
from wangge.core.errors import ValidationError
from wangge.core.forms import ImportForm
from wangge.core.imports import REGISTRY, ExportFilterError, save_upload, start_import
from wangge.core.models import Job, SavedView
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
