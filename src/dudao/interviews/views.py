"""Interview pages (约谈): the list with filters and counts, one interview with its commitments, the actions the
user may take and its timeline from the audit log, and an official's interview history. Reads go through
accounts.access and interviews.selectors, writes through interviews.services; nothing here decides who may do
what."""

from django import forms as forms_module
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from dudao.accounts import access
from dudao.accounts.actors import actor_display
from dudao.audit.selectors import events_about
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.core.errors import Refused
from dudao.core.http import download, require, see_other, week_or_404
from dudao.core.paging import paginate
from dudao.core.tables import write_xlsx
from dudao.interviews import lifecycle, selectors, services
from dudao.interviews.access import (
    can_record_outcome,
    can_see_interviews,
    interview_people_visible_to,
    interviews_visible_to,
)
from dudao.interviews.forms import (
    CommitmentFormSet,
    HoldForm,
    OutcomeForm,
    ReasonForm,
    ScheduleForm,
    ScheduleManyForm,
)
from dudao.interviews.models import Commitment, Interview, InterviewStatus, Outcome, OutcomeKind
from dudao.org.access import people_visible_to, units_visible_to
from dudao.org.models import Level, PostRole
from dudao.ranking import lifecycle as round_lifecycle
from dudao.ranking import selectors as ranking_selectors
from dudao.ranking.models import RoundStatus

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STEP_LABELS = {
    "interview.schedule": gettext_lazy("Scheduled"), "interview.reschedule": gettext_lazy("Rescheduled"),
    "interview.hold": gettext_lazy("Held"), "interview.close": gettext_lazy("Closed: every commitment verified"),
    "interview.cancel": gettext_lazy("Cancelled"),
    "interview.commitment_done": gettext_lazy("Commitment reported done"),
    "interview.commitment_verify": gettext_lazy("Commitment verified"),
    "interview.commitment_return": gettext_lazy("Commitment returned"),
    "interview.outcome_record": gettext_lazy("Outcome recorded"),
    "interview.outcome_revise": gettext_lazy("Outcome revised"),
}
BUTTONS = {
    "schedule": gettext_lazy("Schedule"), "reschedule": gettext_lazy("Reschedule"),
    "hold": gettext_lazy("Record as held"), "cancel": gettext_lazy("Cancel the interview"),
    "done": gettext_lazy("Report done"), "verify": gettext_lazy("Verified: fulfilled"),
    "return": gettext_lazy("Return: not fulfilled"),
}
INTERVIEW_ACTIONS = ("schedule", "reschedule", "hold", "cancel")
COMMITMENT_ACTIONS = ("done", "verify", "return")



def _require_reader(user) -> None:
    if not can_see_interviews(user):
        raise PermissionDenied


def _role_label(role: str) -> str:
    return str(PostRole(role).label) if role in PostRole.values else role


# The list ---------------------------------------------------------------------------------------------


def _filters(request) -> selectors.Filters:
    get = request.GET
    status = get.get("status", "")
    week = get.get("week", "").strip()
    try:
        weeks.parse_week(week)
    except ValueError:
        week = ""
    return selectors.Filters(status=status if status in InterviewStatus.values else "", week=week,
                             town=get.get("town", "").strip()[:12], overdue=get.get("overdue") == "1")


@login_required
def interview_list(request):
    user = request.user
    _require_reader(user)
    filters = _filters(request)
    today = timezone.localdate()
    rows = selectors.interviews_filtered(user, filters, today).order_by("-round__week_start", "village__code",
                                                                        "reason", "role", "pk")
    page = paginate(request, rows, PAGE_SIZE)
    interviews = list(page.object_list)
    selectors.annotate_flags(interviews, today)
    for interview in interviews:
        interview.role_label = _role_label(interview.role)  # type: ignore[attr-defined]
    counted = selectors.counts(rows, today)
    visible_towns = list(units_visible_to(user).filter(level=Level.TOWN).order_by("code"))
    town_names = {t.code: t.name for t in visible_towns}
    week_choices = sorted(interviews_visible_to(user).order_by().values_list("round__week", flat=True)
                          .distinct(), reverse=True)
    schedule_form = None
    if access.is_office(user) and week_choices:
        schedule_form = ScheduleManyForm(prefix="many", towns=visible_towns, weeks=week_choices, initial={
            "week": filters.week or week_choices[0], "town": filters.town})
    return render(request, "interviews/list.html", {
        "schedule_form": schedule_form, "export_query": request.GET.urlencode(),
        "filters": filters, "page": page, "interviews": interviews, "total": page.paginator.count,
        "statuses": InterviewStatus.choices, "weeks": week_choices,
        "towns": visible_towns if len(visible_towns) > 1 else [],
        "status_counts": [(s.value, s.label, counted["status"][s.value]) for s in InterviewStatus
                          if s.value in counted["status"]],
        "week_counts": sorted(counted["week"].items(), reverse=True),
        "town_counts": sorted((code, town_names.get(code, code), n) for code, n in counted["town"].items()),
        "overdue": counted["overdue"],
        "outcome_kinds": OutcomeKind.choices, "outcome_counts": selectors.outcome_counts_by_town(rows),
    })


@login_required
def schedule_many(request):
    """The office schedules every pending interview of a township's week at once (the list's form posts here;
    a refused form is shown again here with what to correct)."""
    user = request.user
    require(access.is_office(user))
    campaign = campaign_get()
    towns = list(units_visible_to(user).filter(level=Level.TOWN).order_by("code"))
    week_choices = sorted(interviews_visible_to(user).order_by().values_list("round__week", flat=True).distinct(),
                          reverse=True)
    form = ScheduleManyForm(request.POST or None, prefix="many", towns=towns, weeks=week_choices, initial={
        "week": request.GET.get("week", ""), "town": request.GET.get("town", "")})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            town = next(t for t in towns if t.code == data["town"])
            try:
                done = services.interviews_schedule_many(
                    actor=user, campaign=campaign, week=data["week"], town=town, scheduled_for=data["scheduled_for"],
                    place=data["place"], interviewer=data["interviewer"])
            except Refused as refused:
                for message in refused.params.get("errors", [refused.message]):
                    form.add_error(None, message)
            else:
                messages.success(request, ngettext(
                    "Scheduled %(count)s interview of %(town)s for week %(week)s: %(when)s, %(place)s.",
                    "Scheduled %(count)s interviews of %(town)s for week %(week)s: %(when)s, %(place)s.",
                    len(done)) % {
                    "count": len(done), "town": town.name, "week": data["week"], "place": data["place"].strip(),
                    "when": timezone.localtime(done[0].scheduled_for).strftime("%Y-%m-%d %H:%M")})
                return see_other(f"{reverse('interview_list')}?week={data['week']}&town={town.code}")
    week = form["week"].value() or ""
    pending = [(t, len(services.interviews_pending_of_town(campaign, week, t))) for t in towns] if week else []
    return render(request, "interviews/schedule_many.html", {"form": form, "pending": pending, "week": week},
                  status=status)


@login_required
def interview_export(request):
    """The interviews of the list's filters (the week's list, typically) as an Excel sheet."""
    user = request.user
    _require_reader(user)
    filters = _filters(request)
    rows = selectors.interviews_filtered(user, filters).order_by("-round__week_start", "village__code", "reason",
                                                                 "role", "pk")
    header = [_("week"), _("township"), _("village"), _("unit"), _("post"), _("person"), _("reason"), _("status"),
              _("to be held by"), _("scheduled for"), _("place"), _("interviewer"), _("held on")]
    table = [[i.round.week, i.village.parent.name if i.village.parent else "",
              "、".join(v.name for v in i.village_list()), i.unit.name,
              _role_label(i.role), _("vacant") if i.vacant else (i.person.name if i.person else ""),
              i.get_reason_display(), i.get_status_display(), i.hold_by.isoformat(),
              timezone.localtime(i.scheduled_for).strftime("%Y-%m-%d %H:%M") if i.scheduled_for else "",
              i.place, i.interviewer, i.held_on.isoformat() if i.held_on else ""] for i in rows]
    name = f"interviews-{filters.week or 'all'}{'-' + filters.town if filters.town else ''}.xlsx"
    return download(write_xlsx([(filters.week or _("Interviews"), header, table)]), name, XLSX)


# One interview ----------------------------------------------------------------------------------------


def _visible_or_404(user, pk: int) -> Interview:
    _require_reader(user)
    return get_object_or_404(interviews_visible_to(user).select_related(
        "round", "village", "village__parent", "unit", "person", "post"), pk=pk)


def _timeline(interview: Interview, commitments: list[Commitment], outcomes: list[Outcome]) -> list[dict]:
    events = events_about(interview=[interview.pk], commitment=[c.pk for c in commitments],
                          outcome=[o.pk for o in outcomes])
    numbers = {str(c.pk): c.position for c in commitments}
    steps = [{"label": _("Created by publishing week %(week)s") % {"week": interview.round.week},
              "at": interview.created_at, "actor": "", "note": "", "number": None}]
    for event in events:
        after = event.after or {}
        actor = actor_display(event.actor, event.actor_label)
        note = after.get("note") or after.get("reason") or ""
        if event.action == "interview.hold":
            note = after.get("minutes", "")
        elif event.action.startswith("interview.outcome_"):
            note = " · ".join(part for part in (services.outcome_kind_label(after.get("kind", "")),
                                                after.get("reference", ""), after.get("reason", "")) if part)
        steps.append({"label": STEP_LABELS.get(event.action, event.action), "at": event.at, "actor": actor,
                      "note": note, "number": numbers.get(event.object_id) if event.object_type == "commitment"
                      else None, "action": event.action})
    return steps


def _detail_context(request, interview: Interview, forms: dict | None = None) -> dict:
    user = request.user
    today = timezone.localdate()
    commitments = list(interview.commitments.select_related("done_by", "verified_by"))
    for commitment in commitments:
        commitment.overdue = lifecycle.commitment_overdue(commitment.status, commitment.due_date, today)  # type: ignore[attr-defined]
        commitment.actions = [{"name": name, "button": BUTTONS[name]}  # type: ignore[attr-defined]
                              for name in services.commitment_allowed_for(user, commitment, interview)]
    actions = services.allowed_for(user, interview)
    forms = forms or {}
    local_schedule = timezone.localtime(interview.scheduled_for) if interview.scheduled_for else None
    if "schedule" in actions and "schedule" not in forms:
        forms["schedule"] = ScheduleForm(prefix="schedule")
    if "reschedule" in actions and "reschedule" not in forms:
        forms["reschedule"] = ScheduleForm(prefix="reschedule", initial={
            "scheduled_for": local_schedule.replace(tzinfo=None) if local_schedule else None,
            "place": interview.place, "interviewer": interview.interviewer})
    if "hold" in actions and "hold" not in forms:
        forms["hold"] = HoldForm(prefix="hold", initial={"held_on": min(today, local_schedule.date())
                                                         if local_schedule else today,
                                                         "interviewer": interview.interviewer})
        forms["commitments"] = CommitmentFormSet(prefix="c")
    if "cancel" in actions and "cancel" not in forms:
        forms["cancel"] = ReasonForm(prefix="cancel", initial={
            "reason": _("The post was vacant that week.") if interview.vacant else ""})
    outcomes = _marked(selectors.outcomes_of_interview(interview))
    others = (interviews_visible_to(user).filter(round=interview.round, villages__in=interview.village_list())
              .exclude(pk=interview.pk).select_related("person").distinct())
    return {
        "interview": interview, "role_label": _role_label(interview.role), "commitments": commitments,
        "actions": actions, "forms": forms, "buttons": BUTTONS,
        "overdue": lifecycle.interview_overdue(interview.status, interview.hold_by, today),
        "revised": interview.round.status == RoundStatus.SUPERSEDED,
        "held_late": interview.held_on is not None and interview.held_on > interview.hold_by,
        "timeline": _timeline(interview, commitments, outcomes), "others": list(others),
        "outcomes": outcomes, "can_record_outcome": can_record_outcome(user)
        and interview.status in lifecycle.OUTCOME_STATUSES and interview.person_id is not None,
        "can_read_all": access.can_read_all(user),
        "can_see_person": interview.person_id is not None and interview_people_visible_to(user)
        .filter(pk=interview.person_id).exists(),
    }


@login_required
def interview_detail(request, pk: int):
    interview = _visible_or_404(request.user, pk)
    return render(request, "interviews/detail.html", _detail_context(request, interview))


def _commitment_inputs(formset) -> list[services.CommitmentInput]:
    return [services.CommitmentInput(form.cleaned_data.get("text", "") or "", form.cleaned_data.get("due_date"))
            for form in formset.forms if form.cleaned_data]


@login_required
@require_POST
def interview_action(request, pk: int, action: str):
    if action not in INTERVIEW_ACTIONS:
        raise Http404
    user = request.user
    interview = _visible_or_404(user, pk)
    forms: dict = {}
    form: forms_module.Form
    try:
        if action in ("schedule", "reschedule"):
            form = forms[action] = ScheduleForm(request.POST, prefix=action)
            if form.is_valid():
                data = form.cleaned_data
                if action == "schedule":
                    services.interview_schedule(actor=user, interview=interview, scheduled_for=data["scheduled_for"],
                                                place=data["place"], interviewer=data["interviewer"])
                else:
                    services.interview_reschedule(actor=user, interview=interview,
                                                  scheduled_for=data["scheduled_for"], place=data["place"],
                                                  interviewer=data["interviewer"], note=data["note"])
        elif action == "hold":
            form = forms["hold"] = HoldForm(request.POST, prefix="hold")
            formset = forms["commitments"] = CommitmentFormSet(request.POST, prefix="c")
            if form.is_valid() and formset.is_valid():
                data = form.cleaned_data
                services.interview_hold(actor=user, interview=interview, held_on=data["held_on"],
                                        interviewer=data["interviewer"], minutes=data["minutes"],
                                        commitments=_commitment_inputs(formset))
            elif form.is_valid():
                form.add_error(None, _("Check the commitments."))
        else:
            form = forms["cancel"] = ReasonForm(request.POST, prefix="cancel")
            if form.is_valid():
                services.interview_cancel(actor=user, interview=interview, reason=form.cleaned_data["reason"])
    except Refused as refused:
        for message in refused.params.get("errors", [refused.message]):
            form.add_error(None, message)
    if form.errors or (action == "hold" and not forms["commitments"].is_valid()):
        interview.refresh_from_db()
        return render(request, "interviews/detail.html", _detail_context(request, interview, forms), status=400)
    interview.refresh_from_db()
    messages.success(request, _("Interview %(number)s: %(status)s.")
                     % {"number": interview.pk, "status": interview.get_status_display()})
    return see_other(reverse("interview_detail", args=[interview.pk]))


@login_required
@require_POST
def commitment_action(request, pk: int, action: str):
    if action not in COMMITMENT_ACTIONS:
        raise Http404
    user = request.user
    _require_reader(user)
    commitment = get_object_or_404(Commitment.objects.filter(interview__in=interviews_visible_to(user))
                                   .select_related("interview"), pk=pk)
    text = request.POST.get("note", "")[:2000]
    try:
        if action == "done":
            services.commitment_done(actor=user, commitment=commitment, note=text)
        elif action == "verify":
            services.commitment_verify(actor=user, commitment=commitment)
        else:
            services.commitment_return(actor=user, commitment=commitment, reason=text)
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        commitment.refresh_from_db()
        messages.success(request, _("Commitment %(number)s: %(status)s.")
                         % {"number": commitment.position, "status": commitment.get_status_display()})
    return see_other(reverse("interview_detail", args=[commitment.interview_id]) + "#commitments")


# The outcome (问责追究) ---------------------------------------------------------------------------------------


def _marked(outcomes: list[Outcome]) -> list[Outcome]:
    """Mark each record ``revised`` when a later record supersedes it (both are shown, the current one plain)."""
    superseded = {o.supersedes_id for o in outcomes if o.supersedes_id}
    for outcome in outcomes:
        outcome.revised = outcome.pk in superseded  # type: ignore[attr-defined]
    return outcomes


@login_required
def interview_outcome(request, pk: int):
    """The office records a held interview's outcome, or revises the one in force (a new record that supersedes
    it). Readers who may not record it are refused (403), an interview outside the area is 404."""
    user = request.user
    interview = _visible_or_404(user, pk)
    require(can_record_outcome(user))
    outcomes = _marked(selectors.outcomes_of_interview(interview))
    current = next((o for o in reversed(outcomes) if not o.revised), None)  # type: ignore[attr-defined]
    revising = bool(request.POST.get("revises")) if request.method == "POST" else current is not None
    initial = {"revises": current.pk, "kind": current.kind, "reference": current.reference,
               "decided_on": current.decided_on, "note": current.note} if current is not None else {}
    form = OutcomeForm(request.POST or None, revising=revising, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            fields = {"kind": data["kind"], "reference": data["reference"], "decided_on": data["decided_on"],
                      "note": data["note"]}
            try:
                if data["revises"] is None:
                    services.outcome_record(actor=user, interview=interview, **fields)
                else:
                    revised = next((o for o in outcomes if o.pk == data["revises"]), None)
                    if revised is None:
                        raise Http404
                    services.outcome_revise(actor=user, outcome=revised, reason=data.get("reason", ""), **fields)
            except Refused as refused:
                for message in refused.messages:
                    form.add_error(None, message)
            else:
                done = _("Interview %(number)s: outcome revised.") if data["revises"] is not None else \
                    _("Interview %(number)s: outcome recorded.")
                messages.success(request, done % {"number": interview.pk})
                return see_other(reverse("interview_detail", args=[interview.pk]) + "#outcome")
    return render(request, "interviews/outcome.html", {
        "interview": interview, "role_label": _role_label(interview.role), "form": form, "outcomes": outcomes,
        "current": current, "revising": revising,
        "held": interview.status in lifecycle.OUTCOME_STATUSES and interview.person_id is not None,
    }, status=status)


# An official's history --------------------------------------------------------------------------------


@login_required
def person_history(request, person_id: int):
    user = request.user
    _require_reader(user)
    person = get_object_or_404(interview_people_visible_to(user), pk=person_id)
    today = timezone.localdate()
    rows = list(interviews_visible_to(user).filter(person=person)
                .select_related("round", "village", "village__parent", "unit")
                .prefetch_related("commitments", "villages")
                .order_by("-round__week_start", "round__revision", "village__code", "pk"))
    selectors.annotate_flags(rows, today)
    for row in rows:
        row.role_label = _role_label(row.role)  # type: ignore[attr-defined]
        row.commitment_list = list(row.commitments.all())  # type: ignore[attr-defined]
        for c in row.commitment_list:  # type: ignore[attr-defined]
            c.overdue = lifecycle.commitment_overdue(c.status, c.due_date, today)
    counted: dict[str, int] = {}
    for row in rows:
        counted[row.status] = counted.get(row.status, 0) + 1
    return render(request, "interviews/person.html", {
        "person": person, "rows": rows,
        "weeks": len({(r.round.week) for r in rows}),
        "escalated": sum(1 for r in rows if r.reason == "escalated"),
        "status_counts": [(s.value, s.label, counted[s.value]) for s in InterviewStatus if s.value in counted],
        "overdue": sum(1 for r in rows if getattr(r, "overdue")),  # noqa: B009 (set by annotate_flags)
        "late_commitments": sum(getattr(r, "late_commitments") for r in rows),  # noqa: B009
        "can_see_person_page": people_visible_to(user).filter(pk=person.pk).exists(),
        "outcomes": _marked(list(selectors.outcomes_of_person(user, person))),
    })


# The week's interviews ------------------------------------------------------------------------------------------


@login_required
def week_interviews(request, week: str):
    """The interviews a published week called for (its live revision, or ?revision=N), for the county's readers."""
    user = request.user
    require(access.can_read_all(user))
    week_or_404(week)
    campaign = campaign_get()
    published = ranking_selectors.revisions_of(campaign, week, round_lifecycle.PUBLISHED_ONCE)
    revision = request.GET.get("revision", "").strip()
    round_ = ranking_selectors.revision_shown(published, revision)
    if revision and round_ is None:
        raise Http404
    rows = selectors.round_interviews(round_)
    for row in rows:
        row.role_label = PostRole(row.role).label if row.role in PostRole.values else row.role  # type: ignore
    return render(request, "interviews/week.html", {
        "week": week, "round": round_, "revisions": published, "rows": rows,
        "vacant": sum(1 for r in rows if r.vacant), "villages": len({r.village_id for r in rows}),
    })
