"""Pages for units, people, posts and working groups. Reads go through access.*_visible_to, writes
through org.services; nothing here decides who may do what."""


from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dudao.accounts import access
from dudao.audit.selectors import events_about
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.http import download, require
from dudao.core.messages import describe
from dudao.core.paging import paginate
from dudao.core.tables import write_csv, write_xlsx
from dudao.interviews import selectors as interview_selectors
from dudao.interviews.access import can_see_interviews
from dudao.org import forms, peoplefile, services, unitfile
from dudao.org.access import (
    can_edit_person,
    can_manage_people,
    can_manage_posts_at,
    groups_visible_to,
    people_search,
    people_visible_to,
    phone_for,
    posts_visible_to,
    unit_visible_or_404,
    units_managed_for_posts,
    units_visible_to,
)
from dudao.org.models import GroupMember, Person, PostRole, Unit
from dudao.org.selectors import memberships_of, search_units
from dudao.ranking import selectors as ranking_selectors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"



def _show_phones(user, rows) -> None:
    """Give each row (a person, or a post or membership with .person) the phone as this user may see it."""
    for row in rows:
        person = row if isinstance(row, Person) else row.person
        row.shown_phone = phone_for(user, person)



# Units ------------------------------------------------------------------------------------------------


@login_required
def unit_tree(request):
    units = list(units_visible_to(request.user).only("code", "name", "level", "path", "active",
                                                             "parent_id"))
    children: dict[int | None, list[Unit]] = {}
    ids = {u.pk for u in units}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)

    def build(parent_id):
        return [{"unit": u, "children": build(u.pk)} for u in children.get(parent_id, [])]

    query = request.GET.get("q", "")
    return render(request, "org/unit_tree.html", {
        "tree": build(None), "query": query, "results": search_units(request.user, query)[:50], "total": len(units),
    })


@login_required
def unit_search(request):
    query = request.GET.get("q", "")
    return render(request, "org/_unit_results.html", {"results": search_units(request.user, query)[:50],
                                                       "query": query})


@login_required
def unit_detail(request, code: str):
    unit = unit_visible_or_404(request.user, code)
    today = timezone.localdate()
    posts = list(posts_visible_to(request.user).filter(unit=unit).select_related("person"))
    current = [p for p in posts if p.start_date <= today and (p.end_date is None or p.end_date >= today)]
    past = [p for p in posts if p not in current]
    _show_phones(request.user, posts)
    ancestors = list(units_visible_to(request.user).filter(code__in=unit.path.strip("/").split("/")[:-1])
                     .order_by("path"))
    history = events_about(unit=[unit.code]).reverse()[:50]
    latest = ranking_selectors.latest_published_round(campaign_get()) if unit.level == "town" else None
    return render(request, "org/unit_detail.html", {
        "latest_week": latest.week if latest is not None else None,
        "unit": unit, "ancestors": ancestors, "children": units_visible_to(request.user).filter(parent=unit),
        "current_posts": current, "past_posts": past, "history": history,
        "groups": groups_visible_to(request.user).filter(towns=unit) if unit.level == "town" else [],
    })


@login_required
def unit_edit(request, code: str):
    unit = unit_visible_or_404(request.user, code)
    require(access.is_office(request.user))
    initial = {"name": unit.name, "official_name": unit.official_name, "active": unit.active, "lon": unit.lon,
               "lat": unit.lat, "point_datum": unit.point_datum, "description": unit.description}
    form = forms.UnitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {**data}
        if data["lon"] is not None and (data["lon"], data["lat"]) != (unit.lon, unit.lat):
            fields["point_synthetic"] = False
        try:
            services.unit_update(actor=request.user, unit=unit, **fields)
        except Refused as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Saved."))
            return redirect("unit_detail", code=unit.code)
    return render(request, "org/form.html", {"form": form, "title": _("Edit %(name)s") % {"name": unit.name},
                                             "back": unit})


def _import_page(request, *, kind: str, run, template_url: str, title: str, allowed: bool):
    require(allowed)
    form = forms.UploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    rows: list[tuple[int, str]] = []
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.UNIT_FILE_MAX_BYTES:
            problems = [_("The file is larger than %(max)s MB.") % {"max": settings.UNIT_FILE_MAX_BYTES // 2**20}]
        else:
            report = run(actor=request.user, data=upload.read(), filename=upload.name)
            if report.ok:
                messages.success(request, _("Imported: %(created)s created, %(updated)s updated, %(unchanged)s "
                                            "unchanged.") % {"created": report.created, "updated": report.updated,
                                                             "unchanged": report.unchanged})
                return redirect(request.path)
            rows = [(p.row, describe(p)) for p in report.problems]
    status = 400 if rows or problems else 200
    return render(request, "org/import.html", {"form": form, "rows": rows, "problems": problems, "kind": kind,
                                               "template_url": template_url, "title": title}, status=status)


@login_required
def unit_import(request):
    return _import_page(request, kind="units", run=services.units_import, template_url="unit_template",
                        title=_("Import units"), allowed=access.is_office(request.user))


@login_required
def unit_template(request):
    example = [["620423000000", "景泰县", "county", "620400000000", "景泰县", "104.063091", "37.183804", "", "", "yes",
                "no", ""],
               ["620423103000", "喜泉镇", "town", "620423000000", "喜泉镇", "", "", "", "", "yes", "no", ""],
               ["620423103200", "大水䃎村", "village", "620423103000", "大水䃎村民委员会", "", "", "", "", "yes", "no",
                ""],
               ["620491032001", "第一网格", "grid", "620423103200", "", "", "", "", "", "yes", "no",
                "大水䃎村东街，约60户"]]
    levels = [[code, zh] for code, zh in unitfile.LEVEL_ZH.items()]
    data = write_xlsx([(_("units"), unitfile.HEADERS_EN, example), (_("levels"), ["level", "层级"], levels)])
    return download(data, "units-template.xlsx", XLSX)


@login_required
def unit_export(request, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    chinese = request.GET.get("headers") == "zh"
    header, rows = services.units_export_rows(actor=request.user, chinese=chinese)
    if fmt == "xlsx":
        return download(write_xlsx([(_("units"), header, rows)]), "units.xlsx", XLSX)
    encoding = "gb18030" if request.GET.get("encoding") == "gb18030" else "utf-8"
    return download(write_csv(header, rows, encoding), "units.csv", f"text/csv; charset={encoding}")


# People and posts -------------------------------------------------------------------------------------


@login_required
def person_list(request):
    query = request.GET.get("q", "").strip()
    today = timezone.localdate()
    current = posts_visible_to(request.user).held_between(today)
    page = paginate(request, people_search(request.user, query).prefetch_related(
        Prefetch("posts", queryset=current.select_related("unit"), to_attr="current_posts")), 100)
    _show_phones(request.user, page.object_list)
    return render(request, "org/person_list.html", {"people": page.object_list, "page": page, "query": query})


def _visible_person(user, pk: int) -> Person:
    return get_object_or_404(people_visible_to(user), pk=pk)


@login_required
def person_detail(request, pk: int):
    person = _visible_person(request.user, pk)
    posts = list(posts_visible_to(request.user).filter(person=person).select_related("unit"))
    memberships = memberships_of(person, groups_visible_to(request.user))
    # The person's accountability (问责追究): the outcomes of the interviews the user sees, revised ones marked.
    outcomes = list(interview_selectors.outcomes_of_person(request.user, person))
    superseded = {o.supersedes_id for o in outcomes if o.supersedes_id}
    for outcome in outcomes:
        outcome.revised = outcome.pk in superseded  # type: ignore[attr-defined]
    return render(request, "org/person_detail.html", {
        "person": person, "phone": phone_for(request.user, person), "posts": posts,
        "memberships": memberships, "can_edit": can_edit_person(request.user, person),
        "today": timezone.localdate(),
        "sees_interviews": can_see_interviews(request.user), "outcomes": outcomes,
    })


@login_required
def person_edit(request, pk: int | None = None):
    person = _visible_person(request.user, pk) if pk else None
    allowed = can_manage_people(request.user)
    require(allowed and (person is None or can_edit_person(request.user, person)))
    if person is not None:
        form: forms.PersonForm = forms.PersonForm(request.POST or None,
                                                  initial={"name": person.name, "phone": person.phone})
    else:
        form = forms.NewPersonForm(request.POST or None, initial={"unit": request.GET.get("unit", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        first_post = None
        if data.get("unit"):
            unit = units_managed_for_posts(request.user).filter(code=data["unit"]).first()
            if unit is None:
                form.add_error("unit", _("The unit %(code)s does not exist or is outside your area.")
                               % {"code": data["unit"]})
                return render(request, "org/form.html", {"form": form, "title": _("New person")})
            first_post = services.FirstPost(unit=unit, role=data["role"], start_date=data["start_date"],
                                            title=data["title"])
        try:
            person = services.person_save(actor=request.user, person=person, name=data["name"],
                                          phone=data["phone"], first_post=first_post)
        except Refused as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Saved."))
            return redirect("person_detail", pk=person.pk)
    title = _("Edit %(name)s") % {"name": person.name} if person else _("New person")
    return render(request, "org/form.html", {"form": form, "title": title})


@login_required
def post_new(request, pk: int):
    person = _visible_person(request.user, pk)
    require(can_manage_people(request.user))
    form = forms.PostForm(request.POST or None, initial={"unit": request.GET.get("unit", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = units_managed_for_posts(request.user).filter(code=data["unit"]).first()
        if unit is None:
            message = _("The unit %(code)s does not exist or is outside your area.") % {"code": data["unit"]}
            form.add_error("unit", message)
        else:
            try:
                services.post_create(actor=request.user, person=person, unit=unit, role=data["role"],
                                     title=data["title"], start_date=data["start_date"], end_date=data["end_date"])
            except Refused as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("Saved."))
                return redirect("person_detail", pk=person.pk)
    return render(request, "org/form.html", {"form": form, "title": _("New post for %(name)s") % {"name": person.name}})


@login_required
def post_end_view(request, pk: int):
    post = get_object_or_404(posts_visible_to(request.user).select_related("unit", "person"), pk=pk)
    require(can_manage_posts_at(request.user, post.unit))
    form = forms.PostEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.post_end(actor=request.user, post=post, end_date=form.cleaned_data["end_date"])
        except Refused as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Saved."))
            return redirect("person_detail", pk=post.person_id)
    return render(request, "org/form.html", {"form": form, "title": _("End the post %(post)s") % {"post": post}})


@login_required
def people_import_view(request):
    return _import_page(request, kind="people", run=services.people_import, template_url="people_template",
                        title=_("Import people and posts"), allowed=can_manage_people(request.user))


@login_required
def people_template(request):
    example = [["张三", "13800000000", "620423103200", "大水䃎村", "村社区主要负责人", "党支部书记", "2024-01-01", ""]]
    roles = [[code, peoplefile.ROLE_NAMES_ZH[code], str(label)] for code, label in PostRole.choices]
    data = write_xlsx([(_("posts"), peoplefile.HEADERS_ZH, example),
                       (_("post list"), ["role", "岗位", _("meaning")], roles)])
    return download(data, "people-template.xlsx", XLSX)


@login_required
def people_export(request):
    header, rows = services.people_export_rows(actor=request.user, chinese=True)
    return download(write_xlsx([(_("posts"), header, rows)]), "people.xlsx", XLSX)


# Working groups ---------------------------------------------------------------------------------------


@login_required
def group_list(request):
    groups = groups_visible_to(request.user).prefetch_related("towns", "members__person")
    return render(request, "org/group_list.html", {"groups": groups})


@login_required
def group_detail(request, pk: int):
    group = get_object_or_404(groups_visible_to(request.user).prefetch_related("towns"), pk=pk)
    members = list(group.members.select_related("person"))
    _show_phones(request.user, members)
    return render(request, "org/group_detail.html", {
        "group": group, "members": members, "member_form": forms.MemberForm(),
        "can_manage": access.is_office(request.user),
    })


@login_required
def group_edit(request, pk: int | None = None):
    require(access.is_office(request.user))
    group = get_object_or_404(groups_visible_to(request.user), pk=pk) if pk else None
    initial = {"kind": group.kind, "name": group.name, "duties": group.duties, "active": group.active,
               "towns": list(group.towns.all())} if group else {"active": True}
    form = forms.GroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = services.group_save(actor=request.user, group=group, campaign=campaign_get(),
                                        kind=data["kind"], name=data["name"], duties=data["duties"],
                                        towns=list(data["towns"]), active=data["active"])
        except Refused as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Saved."))
            return redirect("group_detail", pk=group.pk)
    title = _("Edit %(name)s") % {"name": group.name} if group else _("New working group")
    return render(request, "org/form.html", {"form": form, "title": title})


@login_required
@require_POST
def group_member_add(request, pk: int):
    require(access.is_office(request.user))
    group = get_object_or_404(groups_visible_to(request.user), pk=pk)
    form = forms.MemberForm(request.POST)
    if form.is_valid():
        phone = services.normalise_phone(form.cleaned_data["phone"]) or ""
        person = people_visible_to(request.user).filter(phone=phone).first()
        if person is None:
            message = _("No person has the phone number %(phone)s.") % {"phone": form.cleaned_data["phone"]}
            messages.error(request, message)
        else:
            services.group_member_set(actor=request.user, group=group, person=person, role=form.cleaned_data["role"])
            messages.success(request, _("Saved."))
    return redirect("group_detail", pk=group.pk)


@login_required
@require_POST
def group_member_remove_view(request, pk: int):
    require(access.is_office(request.user))
    member = get_object_or_404(GroupMember.objects.filter(group__in=groups_visible_to(request.user)), pk=pk)
    services.group_member_remove(actor=request.user, member=member)
    messages.success(request, _("Removed."))
    return redirect("group_detail", pk=member.group_id)


