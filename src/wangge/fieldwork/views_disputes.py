"""The console's dispute pages (矛盾纠纷与人民调解): the list with its filters and export, a
dispute taken in (from a case, a screening drive, a walk-in), its page with the parties
masked and the forms for each step, and the agreement (调解协议书) printed — the only page
with the parties' details in full, recorded in the audit log each time it is opened."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wangge.accounts.models import User
from wangge.core.errors import ValidationError
from wangge.core.imports import REGISTRY
from wangge.core.scope import get_scope
from wangge.fieldwork import disputes
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.filters import DisputeFilter
from wangge.fieldwork.forms_disputes import (
    PARTY_ROWS,
    CloseForm,
    DisputeForm,
    FollowUpForm,
    OutcomeForm,
    PartyForm,
    SessionForm,
    SignedForm,
)
from wangge.fieldwork.models import (
    OPEN_STATES,
    OUTCOME_STATES,
    Agreement,
    Campaign,
    CampaignKind,
    Dispute,
    DisputeSource,
    DisputeState,
    PartyRole,
)
from wangge.territory.choices import GRID_KINDS
from wangge.territory.models import Node
from wangge.territory.pickers import place_filter_widget, place_tree

PAGE_SIZE = 50
EXPORT_KIND = "disputes"


def _needs(user, perm: str) -> None:
    if not get_scope(user).has_perm(perm):
        raise Http404


def _dispute_for(request, pk: int) -> Dispute:
    return get_object_or_404(disputes.visible(request.user), pk=pk)


@login_required
def dispute_list(request):
    """The disputes of my places, the latest taken in first, with the list's filters."""
    user = request.user
    _needs(user, "fieldwork.view_dispute")
    rows = disputes.visible(user)
    filterset = DisputeFilter(request.GET or None, rows, request=request)
    filterset.form.fields["grid"].widget = place_filter_widget(user)
    if filterset.is_bound:
        rows = filterset.qs
    rows = rows.order_by("-received_at", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "rows": [(dispute, disputes.dispute_data(dispute)) for dispute in page],
        "query": query.urlencode(),
        "may_add": get_scope(user).has_perm("fieldwork.add_dispute"),
        "export_kind": EXPORT_KIND if EXPORT_KIND in REGISTRY else "",
    }
    return render(request, "fieldwork/disputes_list.html", context)


# --- taking a dispute in -----------------------------------------------------------------------


def _grid_choices(user) -> list[tuple[str, str]]:
    scope = get_scope(user)
    options = [option for option in place_tree(user) if option.level >= 0 and option.value]
    grids = dict(
        Node.objects.restrict(user, "view")
        .filter(code__in=[o.value for o in options], kind__in=list(GRID_KINDS))
        .values_list("code", "path")
    )
    return [
        (option.value, option.name)
        for option in options
        if option.value in grids and scope.allows("fieldwork.add_dispute", grids[option.value])
    ]


def _mediator_choices(user) -> list[tuple[str, str]]:
    from wangge.cases.pickers import handler_choices

    choices = []
    for group, options in handler_choices(user)[1:]:
        choices.append((group, list(options)))
    return choices


def _party_forms(request, grid, *, initial_roles) -> list[PartyForm]:
    forms_ = []
    for n in range(PARTY_ROWS):
        prefix = f"p{n}"
        candidates = []
        if request.method == "POST" and grid is not None:
            name = request.POST.get(f"{prefix}-register", "").strip()[:64]
            if name:
                candidates = [
                    disputes.person_choice(p)
                    for p in disputes.in_register(request.user, grid, name)
                ]
        forms_.append(
            PartyForm(
                request.POST or None,
                prefix=prefix,
                candidates=candidates,
                initial={"role": initial_roles[n] if n < len(initial_roles) else ""},
            )
        )
    return forms_


def _party_specs(request, grid, party_forms) -> tuple[list, dict]:
    """The parties of the form's rows, and the rows' errors (a name found no one, or
    several: then they are offered to pick from)."""
    specs, problems = [], {}
    for n, form in enumerate(party_forms):
        if not form.is_valid():
            problems[n] = True
            continue
        data = form.cleaned_data
        if form.is_empty and not data.get("address"):
            continue
        person = None
        if data.get("person"):
            found = [p for p in disputes.in_register(request.user, grid, data["register"])]
            person = next((p for p in found if str(p.pk) == data["person"]), None)
            if person is None:
                form.add_error("person", _("Pick one of the people listed"))
                problems[n] = True
                continue
        elif data.get("register"):
            found = disputes.in_register(request.user, grid, data["register"])
            if not found:
                form.add_error(
                    "register",
                    _("Nobody by that name lives here: type their details below instead"),
                )
                problems[n] = True
                continue
            if len(found) > 1:
                form.add_error("person", _("Several people have this name: pick one"))
                problems[n] = True
                continue
            person = found[0]
        specs.append(
            (
                n,
                fieldwork.PartySpec(
                    role=data["role"],
                    person=person,
                    name="" if person else data["name"],
                    phone="" if person else data["phone"],
                    id_number="" if person else data["id_number"],
                    address="" if person else data["address"],
                ),
            )
        )
    return specs, problems


@login_required
def dispute_new(request):
    """Take a dispute in: from a case (``?case=<id>``: its grid, title and words), a screening
    drive, a walk-in; the parties from the register by name, or typed in."""
    user = request.user
    _needs(user, "fieldwork.add_dispute")
    case = None
    case_ref = request.GET.get("case") or request.POST.get("case") or ""
    if case_ref:
        from wangge.cases.models import Case

        case = get_object_or_404(
            Case.objects.restrict(user, "view").select_related("grid"),
            pk=int(case_ref) if case_ref.isdigit() else 0,
        )
    grids = _grid_choices(user)
    campaigns = Campaign.objects.restrict(user, "view").filter(kind=CampaignKind.DISPUTE)
    form = DisputeForm(
        request.POST or None,
        grids=grids,
        mediators=_mediator_choices(user),
        campaigns=campaigns.order_by("-starts_on"),
    )
    if case is not None and not form.is_bound:
        form.initial.update(
            {
                "grid": case.grid.code,
                "title": case.title,
                "facts": case.description,
                "source": DisputeSource.CASE,
            }
        )
    grid = None
    if request.method == "POST":
        code = request.POST.get("grid", "")
        grid = Node.objects.restrict(user, "view").filter(code=code[:32]).first()
    party_forms = _party_forms(
        request,
        grid,
        initial_roles=[PartyRole.APPLICANT, PartyRole.RESPONDENT, PartyRole.RESPONDENT],
    )
    status = 200
    if request.method == "POST":
        status = 400
        form_ok = form.is_valid()
        specs, problems = _party_specs(request, grid, party_forms) if grid else ([], {})
        if form_ok and not problems and grid is not None:
            data = form.cleaned_data
            mediators = list(User.objects.filter(pk__in=[int(v) for v in data["mediators"]]))
            try:
                dispute = fieldwork.create_dispute(
                    actor=user,
                    grid=grid,
                    kind=data["kind"],
                    title=data["title"],
                    facts=data["facts"],
                    points=data["points"],
                    source=data["source"],
                    drive=data["drive"],
                    campaign=data["campaign"],
                    case=case,
                    mediators=mediators,
                    parties=[spec for _n, spec in specs],
                    idempotency_key=f"page:{data['key']}" if data.get("key") else None,
                )
            except ValidationError as exc:
                rows = [n for n, _spec in specs]
                for field, errors in exc.message_dict.items():
                    if field.startswith("parties."):
                        _parties, index, name = [*field.split("."), "", ""][:3]
                        row = rows[int(index)] if index.isdigit() and int(index) < len(rows) else 0
                        target = party_forms[row]
                        target.add_error(name if name in target.fields else None, errors)
                    else:
                        form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The dispute is taken in."))
                return redirect("dispute-detail", pk=dispute.pk)
    context = {
        "form": form,
        "party_forms": party_forms,
        "case": case,
    }
    return render(request, "fieldwork/disputes_new.html", context, status=status)


# --- a dispute's page ---------------------------------------------------------------------------


def party_choices(dispute) -> list[tuple[str, str]]:
    return [
        (str(party.pk), f"{party.get_role_display()} {disputes.party_data(party)['name']}")
        for party in dispute.parties.all()
    ]


def dispute_mediators(dispute) -> list[tuple[str, str]]:
    return [(str(user.pk), user.name) for user in dispute.mediators.all()]


def detail_context(request, dispute, **forms_) -> dict:
    user = request.user
    scope = get_scope(user)
    path = dispute.grid.path
    is_open = dispute.state in OPEN_STATES
    may_session = is_open and scope.allows("fieldwork.add_mediationsession", path)
    may_change = scope.allows("fieldwork.change_dispute", path)
    may_follow = (
        dispute.state in OUTCOME_STATES or dispute.state == DisputeState.CLOSED
    ) and scope.allows("fieldwork.add_followup", path)
    agreement = getattr(dispute, "agreement", None)
    detail = disputes.dispute_detail(dispute)
    return {
        "dispute": dispute,
        "data": detail,
        "agreement": agreement,
        "session_form": forms_.get("session_form")
        or (
            SessionForm(parties=party_choices(dispute), mediators=dispute_mediators(dispute))
            if may_session
            else None
        ),
        "outcome_form": forms_.get("outcome_form")
        or (OutcomeForm(initial={"facts": dispute.facts}) if is_open and may_change else None),
        "signed_form": forms_.get("signed_form")
        or (
            SignedForm()
            if agreement is not None and not agreement.oral and not agreement.signed and may_change
            else None
        ),
        "follow_up_form": forms_.get("follow_up_form") or (FollowUpForm() if may_follow else None),
        "close_form": forms_.get("close_form")
        or (CloseForm() if dispute.state in OUTCOME_STATES and may_change else None),
        "may_print": agreement is not None
        and not agreement.oral
        and scope.allows("fieldwork.reveal_disputeparty", path),
        "may_see_people": scope.allows("people.view_person", path),
        "party_links": [
            (party, data)
            for party, data in zip(dispute.parties.all(), detail["parties"], strict=True)
        ],
    }


@login_required
def dispute_detail(request, pk: int):
    dispute = _dispute_for(request, pk)
    return render(request, "fieldwork/disputes_detail.html", detail_context(request, dispute))


def _refused(request, dispute, **forms_):
    context = detail_context(request, dispute, **forms_)
    return render(request, "fieldwork/disputes_detail.html", context, status=400)


@login_required
@require_POST
def dispute_session(request, pk: int):
    dispute = _dispute_for(request, pk)
    form = SessionForm(
        request.POST, parties=party_choices(dispute), mediators=dispute_mediators(dispute)
    )
    if form.is_valid():
        data = form.cleaned_data
        parties = {str(p.pk): p for p in dispute.parties.all()}
        try:
            fieldwork.record_session(
                actor=request.user,
                dispute=dispute,
                held_on=data["held_on"],
                place=data["place"],
                record=data["record"],
                present=[parties[pk] for pk in data["present"] if pk in parties],
                mediators=list(
                    dispute.mediators.filter(pk__in=[int(v) for v in data["mediators"]])
                ),
                idempotency_key=f"page:{data['key']}" if data.get("key") else None,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The mediation session is recorded."))
            return redirect("dispute-detail", pk=dispute.pk)
    return _refused(request, dispute, session_form=form)


@login_required
@require_POST
def dispute_outcome(request, pk: int):
    dispute = _dispute_for(request, pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            fieldwork.record_outcome(actor=request.user, dispute=dispute, **data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The outcome is recorded."))
            return redirect("dispute-detail", pk=dispute.pk)
    return _refused(request, dispute, outcome_form=form)


@login_required
@require_POST
def dispute_signed(request, pk: int):
    dispute = _dispute_for(request, pk)
    agreement = get_object_or_404(Agreement.objects.restrict(request.user, "view"), dispute=dispute)
    form = SignedForm(request.POST)
    if form.is_valid():
        try:
            fieldwork.sign_agreement(
                actor=request.user, agreement=agreement, signed_on=form.cleaned_data["signed_on"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The agreement is marked signed."))
            return redirect("dispute-detail", pk=dispute.pk)
    return _refused(request, dispute, signed_form=form)


def record_follow_up_from(request, dispute, form) -> bool:
    """The follow-up form sent (console and phone): recorded, or its errors on the form."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        fieldwork.record_follow_up(
            actor=request.user,
            dispute=dispute,
            visited_on=data["visited_on"],
            carried_out=data["carried_out"],
            satisfied=data["satisfied"],
            risk=data["risk"],
            note=data["note"],
            idempotency_key=f"page:{data['key']}" if data.get("key") else None,
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return False
    messages.success(request, _("The follow-up visit is recorded."))
    return True


@login_required
@require_POST
def dispute_follow_up(request, pk: int):
    dispute = _dispute_for(request, pk)
    form = FollowUpForm(request.POST)
    if record_follow_up_from(request, dispute, form):
        return redirect("dispute-detail", pk=dispute.pk)
    return _refused(request, dispute, follow_up_form=form)


@login_required
@require_POST
def dispute_close(request, pk: int):
    dispute = _dispute_for(request, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            fieldwork.close_dispute(
                actor=request.user, dispute=dispute, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The dispute is closed."))
            return redirect("dispute-detail", pk=dispute.pk)
    return _refused(request, dispute, close_form=form)


@never_cache
@login_required
def dispute_agreement(request, pk: int):
    """The 调解协议书 on A4, one copy for each party and one for the committee: the parties'
    names, ID numbers, phones and addresses in full for their signatures. Only for who may
    reveal parties' details there (others: a 404), recorded each time it is opened."""
    dispute = _dispute_for(request, pk)
    if not get_scope(request.user).allows("fieldwork.reveal_disputeparty", dispute.grid.path):
        raise Http404
    try:
        agreement = fieldwork.print_agreement(actor=request.user, dispute=dispute)
    except ValidationError as exc:
        raise Http404 from exc
    parties = [(party, disputes.party_full(party)) for party in dispute.parties.all()]
    copies = len(parties) + 1
    community = dispute.grid.parent if dispute.grid.parent_id else dispute.grid
    context = {
        "dispute": dispute,
        "agreement": agreement,
        "applicants": [row for row in parties if row[0].role == PartyRole.APPLICANT],
        "respondents": [row for row in parties if row[0].role == PartyRole.RESPONDENT],
        "parties": parties,
        "mediators": list(dispute.mediators.all()),
        "copies": range(1, copies + 1),
        "copy_count": copies,
        "committee": community.name,
        "today": timezone.localdate(),
    }
    return render(request, "fieldwork/disputes_agreement.html", context)
