"""The plan's pages (/plan/): the battle map (actions × townships) and its timeline, the leading body and the
departments, the actions (import, export, archive, evidence mapping), a task with its evidence and the township's
progress reports from a phone, a township's own tasks."""

import datetime as dt
from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.http import download, require, see_other
from dudao.core.messages import describe_with_row
from dudao.core.tables import write_csv, write_xlsx
from dudao.inspections.models import ChecklistItem
from dudao.notices.documents import CONTENT_TYPES
from dudao.notices.services import FILE_MAX_MB
from dudao.org.access import groups_visible_to
from dudao.org.models import PostRole
from dudao.photos import imaging
from dudao.photos.services import refusal_message
from dudao.plan import access, selectors, services
from dudao.plan.models import STANDING_LABELS, Action, Department, Document, DocumentKind, ProgressPhoto, Task
from dudao.problems.models import Category

PROBLEMS_SHOWN = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _towns(request, campaign) -> list:
    return access.towns_visible_to(request.user, list(services.towns_of(campaign)))


def _visible_tasks(request, campaign):
    return access.tasks_visible_to(request.user, selectors.tasks(campaign))


@login_required
@require_safe
def plan_map(request):
    require(access.can_see_plan(request.user))
    campaign = campaign_get()
    towns = _towns(request, campaign)
    visible = _visible_tasks(request, campaign)
    own_tasks = []
    if access.is_town_staff(request.user):
        own_tasks = selectors.task_states(list(visible.filter(action__archived=False)))
    return render(request, "plan/map.html", {
        "towns": towns, "rows": selectors.matrix(campaign, visible, towns), "labels": STANDING_LABELS,
        "mine": own_tasks, "office": access.can_manage_plan(request.user)})


@login_required
@require_safe
def plan_timeline(request):
    require(access.can_see_plan(request.user))
    bars, first, last = selectors.timeline(campaign_get())
    return render(request, "plan/timeline.html", {"bars": bars, "first": first, "last": last})


@login_required
@require_safe
def plan_organisation(request):
    require(access.can_see_plan(request.user))
    campaign = campaign_get()
    today = timezone.localdate()
    departments = []
    for department in selectors.departments(campaign):
        current = [p for p in department.posts.all()
                   if p.start_date <= today and (p.end_date is None or p.end_date >= today)]
        departments.append((department, current))
    groups = groups_visible_to(request.user).filter(campaign=campaign).exclude(kind="inspection")
    return render(request, "plan/organisation.html", {"departments": departments, "groups": groups})


@login_required
@require_safe
def action_list(request):
    require(access.can_see_plan(request.user))
    archived = request.GET.get("archived") == "1" and access.can_manage_plan(request.user)
    return render(request, "plan/actions.html", {
        "actions": selectors.actions(campaign_get(), archived=archived), "archived": archived,
        "office": access.can_manage_plan(request.user)})


def _action(request, no: int) -> Action:
    require(access.can_see_plan(request.user))
    action = get_object_or_404(selectors.actions(campaign_get(), archived=None), no=no)
    if not access.sees_county(request.user) and not _visible_tasks(request, action.campaign).filter(
            action=action).exists():
        raise Http404
    return action


@login_required
@require_safe
def action_detail(request, no: int):
    action = _action(request, no)
    states = selectors.task_states(list(_visible_tasks(request, action.campaign).filter(action=action)))
    town_ids = {s.task.town_id for s in states}
    problems = selectors.action_problems(action).filter(town_id__in=town_ids).select_related(
        "village", "town", "category").order_by("-reported_at")[:PROBLEMS_SHOWN]
    office = access.can_manage_plan(request.user)
    context = {"action": action, "states": states, "labels": STANDING_LABELS, "problems": problems,
               "counts_evidence": selectors.counts_evidence(action), "office": office}
    if office:
        context["categories"] = Category.objects.filter(campaign=action.campaign, active=True)
        context["items"] = ChecklistItem.objects.filter(checklist__campaign=action.campaign,
                                                        checklist__active=True).select_related("checklist")
        context["mapped_categories"] = {c.pk for c in action.categories.all()}
        context["mapped_items"] = {i.pk for i in action.checklist_items.all()}
    return render(request, "plan/action.html", context)


@login_required
@require_POST
def action_act(request, no: int):
    require(access.can_manage_plan(request.user))
    action = _action(request, no)
    act = request.POST.get("act", "")
    try:
        if act == "archive":
            services.action_archive(actor=request.user, action=action, archived=True)
        elif act == "restore":
            services.action_archive(actor=request.user, action=action, archived=False)
        elif act == "delete":
            services.action_delete(actor=request.user, action=action)
            messages.success(request, _("Action %(no)s deleted.") % {"no": no})
            return see_other(reverse("plan_actions"))
        else:
            return HttpResponseBadRequest()
    except Refused as refused:
        messages.error(request, refused.message)
    return see_other(reverse("plan_action", args=[no]))


@login_required
@require_POST
def action_evidence(request, no: int):
    require(access.can_manage_plan(request.user))
    action = _action(request, no)
    categories = list(Category.objects.filter(campaign=action.campaign, pk__in=_ids(request, "category")))
    items = list(ChecklistItem.objects.filter(checklist__campaign=action.campaign, pk__in=_ids(request, "item")))
    services.action_map_evidence(actor=request.user, action=action, categories=categories, items=items)
    messages.success(request, _("Saved."))
    return see_other(reverse("plan_action", args=[no]))


def _ids(request, name: str) -> list[int]:
    return [int(v) for v in request.POST.getlist(name) if v.isdigit()]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def action_import(request):
    require(access.can_manage_plan(request.user))
    context: dict = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["problems"] = [_("Choose a file.")]
        else:
            report = services.actions_import(actor=request.user, campaign=campaign_get(), data=upload.read(),
                                             filename=upload.name,
                                             create_departments=request.POST.get("create_departments") == "1")
            if report.ok:
                messages.success(request, _(
                    "Actions imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged; "
                    "%(tasks)s township tasks added.") % {"created": report.created, "updated": report.updated,
                                                          "unchanged": report.unchanged,
                                                          "tasks": report.tasks_created})
                if report.new_departments:
                    messages.warning(request, _("Departments created: %(names)s")
                                     % {"names": "、".join(report.new_departments)})
                return see_other(reverse("plan_map"))
            context["problems"] = [describe_with_row(p) for p in report.problems]
        return render(request, "plan/import.html", context, status=400)
    return render(request, "plan/import.html", context)


@login_required
@require_safe
def action_export(request):
    require(access.can_manage_plan(request.user))
    header, rows = services.actions_export_rows(campaign=campaign_get(), chinese=request.GET.get("chinese") == "1")
    if request.GET.get("format") == "xlsx":
        return download(write_xlsx([(_("actions"), header, rows)]), "actions.xlsx", XLSX)
    return download(write_csv(header, rows), "actions.csv", "text/csv; charset=utf-8")


def _task(request, pk: int) -> Task:
    require(access.can_see_plan(request.user))
    return get_object_or_404(_visible_tasks(request, campaign_get()), pk=pk)


def _photos(request) -> list[bytes]:
    data = []
    for upload in request.FILES.getlist("photos"):
        if upload.size > imaging.MAX_BYTES:
            refused = imaging.ImageRefused("too_large", size_mb=round(upload.size / imaging.MIB, 1),
                                           max_mb=imaging.MAX_BYTES // imaging.MIB)
            raise Refused("photo_too_large", refusal_message(refused))
        data.append(upload.read())
    return data


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def task_detail(request, pk: int):
    task = _task(request, pk)
    error = ""
    values = {"value": "", "note": ""}
    if request.method == "POST":
        require(access.can_report(request.user, task))
        values = {"value": request.POST.get("value", ""), "note": request.POST.get("note", "")}
        try:
            services.task_progress_report(actor=request.user, task=task, value=values["value"], note=values["note"],
                                          photos=_photos(request), completes=request.POST.get("completes") == "1")
        except Refused as refused:
            error = refused.message
        except imaging.ImageRefused as refused:
            error = refusal_message(refused)
        else:
            messages.success(request, _("Progress reported."))
            return see_other(reverse("plan_task", args=[task.pk]))
    state = selectors.task_state(task)
    problems: Iterable = []
    if not task.own:
        problems = selectors.action_problems(task.action).filter(town=task.town).select_related(
            "village", "category").order_by("-reported_at")[:PROBLEMS_SHOWN]
    reports = task.reports.prefetch_related("photos")
    own = task.action.tasks.filter(town=task.town, own=True) if not task.own else []
    return render(request, "plan/task.html", {
        "task": task, "state": state, "labels": STANDING_LABELS, "problems": problems, "reports": reports,
        "own_tasks": own, "may_report": access.can_report(request.user, task) and state.standing != "done",
        "may_add": access.can_add_own(request.user, task.town) and not task.own, "error": error,
        "values": values, "counts_evidence": selectors.counts_evidence(task.action)},
        status=400 if error else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def task_new(request, no: int):
    action = _action(request, no)
    require(access.is_town_staff(request.user))
    town = request.user.scope_unit
    values = {"title": "", "deadline": action.deadline.isoformat(), "target_value": "", "target_unit": "",
              "owner_role": PostRole.TOWN_DEPUTY}
    error = ""
    if request.method == "POST":
        values = {key: request.POST.get(key, default) for key, default in values.items()}
        try:
            deadline = dt.date.fromisoformat(values["deadline"])
        except ValueError:
            error = _("The deadline is not a date (YYYY-MM-DD).")
        else:
            try:
                task = services.task_own_add(actor=request.user, action=action, town=town, title=values["title"],
                                             deadline=deadline, target_value=values["target_value"],
                                             target_unit=values["target_unit"], owner_role=values["owner_role"])
            except Refused as refused:
                error = refused.message
            else:
                messages.success(request, _("Task added."))
                return see_other(reverse("plan_task", args=[task.pk]))
    return render(request, "plan/task_new.html", {"action": action, "values": values, "error": error,
                                                  "roles": PostRole.choices}, status=400 if error else 200)


@login_required
@require_safe
def progress_photo(request, pk: int, size: str):
    require(access.can_see_plan(request.user))
    photo = get_object_or_404(ProgressPhoto.objects.select_related("progress__task"), pk=pk)
    if size not in ("display", "thumb") or not _visible_tasks(request, campaign_get()).filter(
            pk=photo.progress.task_id).exists():
        raise Http404
    name = photo.thumb_name if size == "thumb" else photo.display_name
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# Documents ---------------------------------------------------------------------------------------------------------


def _document_file(request) -> bytes:
    upload = request.FILES.get("file")
    if upload is None:
        raise Refused("file_required", _("Choose a file."))
    if upload.size > FILE_MAX_MB * 1024 * 1024:
        raise Refused("file_too_large", _("The file is too large: at most %(max)s MB.") % {"max": FILE_MAX_MB})
    return upload.read()


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def document_list(request):
    require(access.can_see_plan(request.user))
    campaign = campaign_get()
    office = access.can_manage_plan(request.user)
    error = ""
    if request.method == "POST":
        require(office)
        try:
            document = services.document_add(
                actor=request.user, campaign=campaign, kind=request.POST.get("kind", ""),
                title=request.POST.get("title", ""), audience=request.POST.getlist("audience"),
                data=_document_file(request), note=request.POST.get("note", ""))
        except Refused as refused:
            error = refused.message
        else:
            messages.success(request, _("Saved."))
            return see_other(reverse("plan_document", args=[document.pk]))
    return render(request, "plan/documents.html", {
        "documents": access.documents_visible_to(request.user, selectors.documents(campaign)), "office": office,
        "kinds": DocumentKind.choices, "roles": access.audience_choices(), "error": error},
        status=400 if error else 200)


def _document(request, pk: int) -> Document:
    require(access.can_see_plan(request.user))
    for document in access.documents_visible_to(request.user, selectors.documents(campaign_get())):
        if document.pk == pk:
            return document
    raise Http404


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def document_detail(request, pk: int):
    document = _document(request, pk)
    office = access.can_manage_plan(request.user)
    error = ""
    if request.method == "POST":
        require(office)
        try:
            if request.POST.get("act") == "action":
                action = services.action_from_decision(
                    actor=request.user, document=document, no=_whole(request.POST.get("no", "")),
                    name=request.POST.get("name", ""), start=_day(request.POST.get("start", "")),
                    deadline=_day(request.POST.get("deadline", "")),
                    lead=get_object_or_404(Department, campaign=document.campaign, pk=_whole(request.POST.get(
                        "lead", ""))))
                messages.success(request, _("Action %(no)s added to the battle map.") % {"no": action.no})
                return see_other(reverse("plan_action", args=[action.no]))
            services.document_version_add(actor=request.user, document=document, data=_document_file(request),
                                          note=request.POST.get("note", ""))
        except Refused as refused:
            error = refused.message
        else:
            messages.success(request, _("Saved."))
            return see_other(reverse("plan_document", args=[document.pk]))
    return render(request, "plan/document.html", {
        "document": document, "office": office, "error": error, "departments": selectors.departments(
            document.campaign), "is_decision": document.kind == DocumentKind.DECISION,
        "today": timezone.localdate()}, status=400 if error else 200)


def _whole(raw: str) -> int:
    if not raw.isdigit():
        raise Refused("bad_number", _("“%(value)s” is not a whole number.") % {"value": raw})
    return int(raw)


def _day(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Refused("bad_date", _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw}) from None


@login_required
@require_safe
def document_file(request, pk: int, number: int):
    document = _document(request, pk)
    version = get_object_or_404(document.versions, number=number)
    response = FileResponse(default_storage.open(version.file_name, "rb"), as_attachment=True,
                            filename=f"{document.title}-v{number}.{version.file_kind}",
                            content_type=CONTENT_TYPES[version.file_kind])
    response["X-Content-Type-Options"] = "nosniff"
    return response
