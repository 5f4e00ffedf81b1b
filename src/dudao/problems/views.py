"""Problem pages (案卷): the list with its tabs, filters and counts, the report form, one problem with its photos
side by side, its timeline and the actions the user may take; and the problem settings page (/problems/settings/):
the categories with their days to rectify and duplicate radius and window, and the working calendar's exceptions
with a check of the deadline a problem dispatched on a chosen day would get (the office changes them, leaders
read).

Reads go through dudao.problems.access and selectors, writes through photos.services and problems.services;
nothing here decides who may do what.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from dudao.accounts import access
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.core.errors import Refused
from dudao.core.http import require, see_other
from dudao.core.paging import paginate
from dudao.core.tables import write_csv, write_xlsx
from dudao.org.access import can_report_at, units_visible_to
from dudao.org.models import Level, Unit
from dudao.org.selectors import names_of
from dudao.photos import imaging
from dudao.photos import services as photo_services
from dudao.problems import lifecycle, selectors, services
from dudao.problems.access import problem_sources_for, problems_visible_to
from dudao.problems.models import Category, PhotoKind, Problem, Source, Status

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABS = ("mine", "all", "overdue")
# What each timeline step is called, and the buttons that take each transition.
STEP_LABELS = {
    "report": gettext_lazy("Reported"), "register": gettext_lazy("Registered"),
    "dispatch": gettext_lazy("Dispatched"), "rectify": gettext_lazy("Rectified"),
    "verify": gettext_lazy("Verified"), "return": gettext_lazy("Returned for rework"),
    "close": gettext_lazy("Closed"), "cancel": gettext_lazy("Cancelled"),
}
BUTTONS = {
    "register": gettext_lazy("Register"), "dispatch": gettext_lazy("Dispatch to the village"),
    "rectify": gettext_lazy("Report rectified"), "verify": gettext_lazy("Verified: fixed"),
    "return": gettext_lazy("Return for rework"), "close": gettext_lazy("Close"),
    "cancel": gettext_lazy("Cancel the problem"),
}
NOTE_REQUIRED = {"return", "cancel"}
# Where a refusal of the report belongs on the form.
REPORT_FIELD_OF = {
    "description_required": "description", "bad_category": "category", "bad_position": "lat",
    "outside_county": "lat", "unknown_photo": "photos", "no_location": "photos",
}



def _float(value: str | None) -> float | None:
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _upload(request, *, campaign, village: Unit, files, key: str | None, lat: float | None, lon: float | None,
            accuracy_m: float | None) -> list[int]:
    """Store the uploaded photos for the village (Refused on the first bad one) and return their ids."""
    ids = []
    for position, upload in enumerate(files):
        if upload.size is not None and upload.size > imaging.MAX_BYTES:
            raise Refused("photo_too_large", photo_services.refusal_message(imaging.ImageRefused(
                "too_large", size_mb=round(upload.size / 2**20, 1), max_mb=imaging.MAX_BYTES // 2**20)))
        photo = photo_services.photo_upload(
            actor=request.user, campaign=campaign, village=village, data=upload.read(),
            client_key=f"{key}:{position}" if key else None, lat=lat, lon=lon, accuracy_m=accuracy_m)
        ids.append(photo.pk)
    return ids


# The list ---------------------------------------------------------------------------------------------


def _default_tab(user) -> str:
    return "mine" if access.effective_role(user) in access.FIELD_ROLES else "all"


def _filters(request) -> tuple[str, selectors.Filters]:
    get = request.GET
    tab = get.get("tab", "")
    if tab not in TABS or (tab == "mine" and _default_tab(request.user) != "mine"):
        tab = _default_tab(request.user)
    status = get.get("status", "")
    week = get.get("week", "").strip()
    try:
        weeks.parse_week(week)
    except ValueError:
        week = ""
    reached = get.get("reached", "")
    filters = selectors.Filters(
        status=status if status in Status.values else "", town=get.get("town", "").strip()[:12],
        village=get.get("village", "").strip()[:12], category=get.get("category", "").strip()[:30],
        overdue=tab == "overdue", mine=tab == "mine", q=get.get("q", "").strip()[:50], week=week,
        reached=reached if reached in selectors.REACHED else "")
    return tab, filters


def _ordered(rows, tab: str):
    return rows.order_by("deadline", "pk") if tab == "overdue" else rows.order_by("-reported_at", "-pk")


@login_required
def problem_list(request):
    user = request.user
    tab, filters = _filters(request)
    rows = _ordered(selectors.problems_filtered(user, filters), tab)
    # The tabs count what the other filters leave.
    base = selectors.problems_filtered(user, selectors.Filters(
        status=filters.status, town=filters.town, village=filters.village, category=filters.category, q=filters.q,
        week=filters.week, reached=filters.reached))
    tab_counts = {"all": base.count(), "overdue": base.filter(selectors.overdue_q()).count()}
    if _default_tab(user) == "mine":
        tab_counts["mine"] = base.filter(selectors.tasks_q(user)).count()
    page = paginate(request, rows, PAGE_SIZE)
    now = timezone.now()
    for problem in page.object_list:
        problem.overdue = lifecycle.is_overdue(problem.status, problem.deadline, now)

    campaign = campaign_get()
    counted = selectors.counts(rows)
    visible = units_visible_to(user)
    towns = list(visible.towns().order_by("code"))
    town_names = {t.code: t.name for t in towns}
    town_names.update(names_of(c for c in counted["town"] if c not in town_names))
    categories = selectors.categories_of(campaign)
    category_names = {c.code: c.name for c in categories}
    villages = visible.ranked().order_by("code")
    if filters.town:
        villages = villages.filter(parent__code=filters.town)
    by_village = bool(filters.town) or len(towns) == 1
    village_choices = list(villages.values_list("code", "name")) if by_village else []
    village_counts = list(rows.order_by("village__code").values_list("village__code", "village__name")
                          .annotate(n=Count("pk"))) if by_village else []
    return render(request, "problems/list.html", {
        "tab": tab, "tabs": [(t, tab_counts[t]) for t in TABS if t in tab_counts], "filters": filters,
        "page": page, "problems": page.object_list, "total": page.paginator.count,
        "status_counts": [(s.value, s.label, counted["status"][s.value]) for s in Status
                          if s.value in counted["status"]],
        "category_counts": [(c.code, c.name, counted["category"][c.code]) for c in categories
                            if c.code in counted["category"]],
        "village_counts": village_counts,
        "town_counts": sorted((code, town_names.get(code, code), n) for code, n in counted["town"].items()),
        "overdue_count": counted["overdue"]["overdue"],
        "statuses": Status.choices, "towns": towns if len(towns) > 1 else [], "villages": village_choices,
        "categories": categories, "category_names": category_names,
        "can_report": access.effective_role(user) in access.FIELD_ROLES,
    })


@login_required
def problem_export(request, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    tab, filters = _filters(request)
    rows = _ordered(selectors.problems_filtered(request.user, filters), tab)
    now = timezone.now()

    def when(value) -> str:
        return date_format(timezone.localtime(value), "Y-m-d H:i") if value else ""

    header = [_("number"), _("status"), _("category"), _("township"), _("village"), _("village code"), _("source"),
              _("reported at"), _("deadline"), _("overdue"), _("rework"), _("description"), _("latitude"),
              _("longitude")]
    table = [[p.number, p.get_status_display(), p.category.name, p.town.name, p.village.name, p.village.code,
              p.get_source_display(), when(p.reported_at), when(p.deadline),
              _("yes") if lifecycle.is_overdue(p.status, p.deadline, now) else "", str(p.rework_count),
              p.description, "" if p.lat is None else f"{p.lat:.6f}",
              "" if p.lon is None else f"{p.lon:.6f}"]
             for p in rows.iterator(chunk_size=500)]
    if fmt == "xlsx":
        data, content_type = write_xlsx([(_("problems"), header, table)]), XLSX
    else:
        data, content_type = write_csv(header, table), "text/csv; charset=utf-8"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="problems.{fmt}"'
    return response


# Reporting --------------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    widget = MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"})

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(PhotosField, self).clean(f, initial) for f in files if f]


class ReportForm(forms.Form):
    village = forms.ChoiceField(label=gettext_lazy("Village"))
    category = forms.ModelChoiceField(label=gettext_lazy("Category"), queryset=Category.objects.none(),
                                      to_field_name="code", empty_label=None)
    source = forms.ChoiceField(label=gettext_lazy("Reported by"))
    description = forms.CharField(label=gettext_lazy("What is wrong, and where exactly"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  error_messages={"required": gettext_lazy("Describe the problem.")})
    photos = PhotosField(label=gettext_lazy("Photos"), required=False)
    lat = forms.FloatField(label=gettext_lazy("Latitude"), required=False, min_value=-90, max_value=90,
                           widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
    lon = forms.FloatField(label=gettext_lazy("Longitude"), required=False, min_value=-180, max_value=180,
                           widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
    accuracy_m = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)
    client_key = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, villages: list[Unit], campaign, sources: tuple[Source, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        source_field = cast(forms.ChoiceField, self.fields["source"])
        source_field.choices = [(s, Source(s).label) for s in sources]
        source_field.initial = sources[0]
        groups: dict[str, list[tuple[str, str]]] = {}
        for village in villages:
            groups.setdefault(village.parent.name if village.parent else "", []).append((village.code, village.name))
        choices: list = [] if len(villages) == 1 else [("", _("Choose the village"))]
        cast(forms.ChoiceField, self.fields["village"]).choices = choices + list(groups.items())
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = selectors.categories(campaign, active=True)

    def clean(self):
        data = super().clean()
        lat, lon = data.get("lat"), data.get("lon")
        if (lat is None) != (lon is None) and not self.has_error("lat") and not self.has_error("lon"):
            self.add_error("lat", _("Give both the latitude and the longitude, or neither."))
        elif lat is not None and lon is not None:
            try:
                photo_services.check_position(self.campaign, lat, lon)
            except Refused as refused:
                self.add_error("lat", refused.message)
        return data


@login_required
def problem_new(request):
    user = request.user
    if access.effective_role(user) not in access.FIELD_ROLES:
        raise PermissionDenied
    campaign = campaign_get()
    villages = [v for v in units_visible_to(user).filter(level__in=[Level.VILLAGE, Level.COMMUNITY],
                                                                  active=True).select_related("parent").order_by("path")
                if can_report_at(user, v)]
    if not villages:
        raise PermissionDenied
    by_code = {v.code: v for v in villages}
    initial = {"client_key": uuid.uuid4().hex}
    if request.GET.get("village") in by_code:
        initial["village"] = request.GET["village"]
    form = ReportForm(request.POST or None, request.FILES or None, villages=villages, campaign=campaign,
                      sources=tuple(s for s in problem_sources_for(user) if s != Source.DRONE),
                      initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        village = by_code[data["village"]]
        key = data["client_key"] or None
        try:
            with photo_services.stored_atomically():
                photo_ids = _upload(request, campaign=campaign, village=village, files=data["photos"], key=key,
                                    lat=data["lat"], lon=data["lon"], accuracy_m=data["accuracy_m"])
                problem = services.problem_report(
                    actor=user, campaign=campaign, village=village, category=data["category"],
                    description=data["description"], source=data["source"], lat=data["lat"],
                    lon=data["lon"], accuracy_m=data["accuracy_m"], photo_ids=photo_ids, client_key=key)
        except Refused as refused:
            form.add_error(REPORT_FIELD_OF.get(refused.code, "photos" if refused.code.startswith("photo_") else None),
                           refused.message)
            # The next attempt is a new report: the photos chosen then must not be matched to the ones just stored.
            form.data = form.data.copy()
            form.data["client_key"] = uuid.uuid4().hex
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("Problem %(number)s reported: %(status)s.")
                             % {"number": problem.number, "status": problem.get_status_display()})
            return see_other(reverse("problem_detail", args=[problem.pk]))
    return render(request, "problems/new.html", {
        "form": form, "position_error": " ".join([*form["lat"].errors, *form["lon"].errors]),
    }, status=400 if form.errors else 200)


# One problem ------------------------------------------------------------------------------------------


@login_required
def problem_detail(request, pk: int):
    user = request.user
    problem = get_object_or_404(problems_visible_to(user).select_related(
        "category", "village", "town", "reported_by", "rectified_by"), pk=pk)
    photos = list(problem.problem_photos.order_by("pk"))
    events = list(problem.events.select_related("actor").prefetch_related("photos"))
    for event in events:
        event.label = STEP_LABELS.get(event.transition, event.transition)  # type: ignore[attr-defined]
        event.from_label = (  # type: ignore[attr-defined]
            Status(event.from_status).label if event.from_status in Status.values else "")
        event.to_label = (  # type: ignore[attr-defined]
            Status(event.to_status).label if event.to_status in Status.values else event.to_status)
        event.photo_ids = [p.photo_id for p in event.photos.all()]  # type: ignore[attr-defined]
    rectifications = [e for e in events if e.transition == "rectify"]
    duplicate = None
    if problem.possible_duplicate_of_id:
        duplicate = problems_visible_to(user).filter(pk=problem.possible_duplicate_of_id).first()
    actions = [{"name": name, "button": BUTTONS[name], "note_required": name in NOTE_REQUIRED,
                "photo_required": name == "rectify", "danger": name in ("return", "cancel")}
               for name in services.allowed_for(user, problem)]
    return render(request, "problems/detail.html", {
        "problem": problem, "events": events, "actions": actions, "duplicate": duplicate,
        "before": [p.photo_id for p in photos if p.kind == PhotoKind.BEFORE],
        "after": [p.photo_id for p in photos if p.kind == PhotoKind.AFTER],
        "last_after": rectifications[-1].photo_ids if rectifications else [],  # type: ignore[attr-defined]
        "overdue": lifecycle.is_overdue(problem.status, problem.deadline, timezone.now()),
        "can_set_public": access.is_office(user),
    })


@login_required
@require_POST
def problem_public(request, pk: int):
    """The office marks the problem public (the Open311 interface serves it) or takes it back (?public=1 or 0)."""
    user = request.user
    problem = get_object_or_404(problems_visible_to(user), pk=pk)
    value = request.POST.get("public", "")
    if value not in ("0", "1"):
        return HttpResponseBadRequest(_("The field “public” must be 0 or 1."))
    changed = services.problem_set_public(actor=user, problem=problem, public=value == "1")
    if changed.public:
        text = _("Problem %(number)s is public: the Open311 interface serves it without personal data.")
    else:
        text = _("Problem %(number)s is no longer public.")
    messages.success(request, text % {"number": changed.number})
    return see_other(reverse("problem_detail", args=[problem.pk]))


@login_required
@require_POST
def problem_transition(request, pk: int, transition: str):
    function = cast(Callable[..., Problem] | None, services.TRANSITION_FUNCTIONS.get(transition))
    if function is None:
        raise Http404
    user = request.user
    problem = get_object_or_404(problems_visible_to(user).select_related("category", "village", "town"),
                                pk=pk)
    kwargs: dict = {"actor": user, "problem": problem, "note": request.POST.get("note", "")[:2000]}
    try:
        with photo_services.stored_atomically():
            if transition == "rectify":
                kwargs["photo_ids"] = []
                # Store the after-photos only when the rectification can go through; otherwise the service
                # below refuses it for the right reason.
                if "rectify" in services.allowed_for(user, problem):
                    kwargs["photo_ids"] = _upload(
                        request, campaign=problem.campaign, village=problem.village,
                        files=request.FILES.getlist("photos"), key=None, lat=_float(request.POST.get("lat")),
                        lon=_float(request.POST.get("lon")), accuracy_m=_float(request.POST.get("accuracy_m")))
            changed = function(**kwargs)
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Problem %(number)s: %(status)s.")
                         % {"number": changed.number, "status": changed.get_status_display()})
    return see_other(reverse("problem_detail", args=[problem.pk]))


# Settings: categories and the working calendar -----------------------------------------------------------------


IMPORT_MAX_CHARS = 20_000
# A dispatch at midday: the deadline depends on the day only.
CHECK_TIME = dt.time(12, 0)




def days_label(working_days: int) -> str:
    if working_days == 0:
        return _("same day")
    return ngettext("%(n)s working day", "%(n)s working days", working_days) % {"n": working_days}


def duplicate_label(category: Category) -> str:
    if category.duplicate_radius_m == 0 or category.duplicate_hours == 0:
        return _("off")
    return _("within %(m)s m and %(h)s h") % {"m": category.duplicate_radius_m, "h": category.duplicate_hours}


def _year_later(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


class CategoryForm(forms.Form):
    # The ranges are checked by services.category_save, whose messages the form shows.
    code = forms.CharField(label=gettext_lazy("Code"), required=False,
                           help_text=gettext_lazy("a-z, 0-9, - and _; it cannot change later"),
                           widget=forms.TextInput(attrs={"maxlength": 30, "autocapitalize": "off"}))
    name = forms.CharField(label=gettext_lazy("Name"), required=False,
                           widget=forms.TextInput(attrs={"maxlength": 50}))
    working_days = forms.IntegerField(label=gettext_lazy("Working days to rectify (0 = by the end of the same day)"),
                                      widget=forms.NumberInput(attrs={"min": 0, "max": 30}))
    duplicate_radius_m = forms.IntegerField(label=gettext_lazy("Duplicate radius (m; 0 = no duplicate detection)"),
                                            widget=forms.NumberInput(attrs={"min": 0, "max": 5000}))
    duplicate_hours = forms.IntegerField(label=gettext_lazy("Duplicate window (hours; 0 = no duplicate detection)"),
                                         widget=forms.NumberInput(attrs={"min": 0, "max": 720}))
    position = forms.IntegerField(label=gettext_lazy("Position in lists"), required=False,
                                  widget=forms.NumberInput(attrs={"min": 0, "max": 999}))
    active = forms.BooleanField(label=gettext_lazy("In use (offered for new reports)"), required=False)

    def __init__(self, *args, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    working = forms.TypedChoiceField(label=gettext_lazy("The day is"), coerce=lambda value: value == "1",
                                     choices=[("0", gettext_lazy("a day off (休)")),
                                              ("1", gettext_lazy("a working day (班)"))])
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.TextInput(attrs={"maxlength": 50}))


class CalendarImportForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("One day a line: date, 休 or 班 (holiday or working), note"),
                           max_length=IMPORT_MAX_CHARS, strip=False,
                           widget=forms.Textarea(attrs={"rows": 8, "placeholder": "2027-01-01 休 元旦\n"
                                                                                  "2027-02-07 班 春节调休"}))


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({days_label(obj.working_days)})"


class DeadlineCheckForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Dispatched on"), widget=forms.DateInput(attrs={"type": "date"}))
    category = CategoryChoiceField(label=gettext_lazy("Category"), queryset=Category.objects.none(),
                                   to_field_name="code", empty_label=None)

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        cast(CategoryChoiceField, self.fields["category"]).queryset = categories


def _deadline_check(request, campaign) -> tuple[DeadlineCheckForm, dict | None]:
    categories = selectors.categories(campaign)
    if "date" in request.GET or "category" in request.GET:
        form = DeadlineCheckForm(request.GET, categories=categories, auto_id="check_%s")
    else:
        first = categories.filter(working_days=0, active=True).first() or categories.first()
        form = DeadlineCheckForm({"date": timezone.localdate().isoformat(), "category": first.code if first else ""},
                                 categories=categories, auto_id="check_%s")
    if not form.is_valid():
        return form, None
    day, category = form.cleaned_data["date"], form.cleaned_data["category"]
    start = timezone.make_aware(dt.datetime.combine(day, CHECK_TIME))
    exception = selectors.calendar_day(day)
    return form, {
        "date": day, "category": category, "days": days_label(category.working_days),
        "working": exception.working if exception else lifecycle.default_is_working(day),
        "note": exception.note if exception else "",
        "deadline": timezone.localtime(services.deadline_for(category, start)),
    }


def _render(request, *, add_form: CalendarDayForm | None = None, import_form: CalendarImportForm | None = None,
            import_errors: list[str] | None = None, status: int = 200):
    user = request.user
    campaign = campaign_get()
    categories = [{"category": c, "days": days_label(c.working_days), "duplicate": duplicate_label(c)}
                  for c in selectors.categories_of(campaign)]
    today = timezone.localdate()
    until = _year_later(today)
    # A holiday at a weekend or a worked weekday changes nothing; say so rather than hide it.
    days = [{"day": d, "as_usual": d.working == lifecycle.default_is_working(d.date)}
            for d in selectors.calendar_days(today, until)]
    check_form, check = _deadline_check(request, campaign)
    can_manage = access.is_office(user)
    return render(request, "problems/settings.html", {
        "categories": categories, "days": days, "until": until, "today": today,
        "later_count": selectors.calendar_days(until).count(),
        "can_manage": can_manage, "check_form": check_form, "check": check,
        "add_form": (add_form or CalendarDayForm(initial={"working": "0"})) if can_manage else None,
        "import_form": (import_form or CalendarImportForm()) if can_manage else None,
        "import_errors": import_errors or [],
    }, status=status)


@login_required
def problem_settings(request):
    """Everyone who reads the whole county (office, administrator, leaders) sees the settings; only the office
    and the administrator get the forms that change them."""
    require(access.can_read_all(request.user))
    return _render(request)


@login_required
def problem_category_edit(request):
    """A new category (no ``code`` in the query), or the one whose code is given."""
    user = request.user
    require(access.is_office(user))
    campaign = campaign_get()
    code = request.GET.get("code", "")
    category = get_object_or_404(Category, campaign=campaign, code=code) if code else None
    initial = {"working_days": 0, "duplicate_radius_m": 50, "duplicate_hours": 72, "active": True}
    if category is not None:
        initial = {"name": category.name, "working_days": category.working_days, "position": category.position,
                   "duplicate_radius_m": category.duplicate_radius_m, "duplicate_hours": category.duplicate_hours,
                   "active": category.active}
    form = CategoryForm(request.POST or None, initial=initial, editing=category is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new_code = category.code if category is not None else data["code"].strip()
        if category is None and selectors.categories(campaign).filter(code=new_code).exists():
            form.add_error("code", _("A category with the code %(code)s exists already: edit it in the list.")
                           % {"code": new_code})
        else:
            try:
                saved = services.category_save(
                    actor=user, campaign=campaign, code=new_code, name=data["name"],
                    working_days=data["working_days"], duplicate_radius_m=data["duplicate_radius_m"],
                    duplicate_hours=data["duplicate_hours"], active=data["active"], position=data["position"])
            except Refused as refused:
                errors = refused.params.get("errors") or {None: refused.message}
                for field, message in errors.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("Category “%(name)s” saved. Problems already dispatched keep their "
                                            "deadlines; the change applies to problems dispatched from now on.")
                                 % {"name": saved.name})
                return see_other(reverse("problem_settings") + "#categories")
    return render(request, "problems/settings_category.html", {"form": form, "category": category},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def problem_calendar(request):
    """Add or change one exception (action=add), remove one (action=remove) or paste a list (action=import)."""
    user = request.user
    require(access.is_office(user))
    action = request.POST.get("action", "")
    back = reverse("problem_settings") + "#calendar"
    if action == "remove":
        try:
            day = dt.date.fromisoformat(request.POST.get("date", ""))
        except ValueError:
            return HttpResponseBadRequest()
        services.calendar_clear(actor=user, date=day)
        messages.success(request, _("%(date)s follows the Monday–Friday week again.") % {"date": day.isoformat()})
        return see_other(back)
    if action == "add":
        add_form = CalendarDayForm(request.POST)
        if add_form.is_valid():
            data = add_form.cleaned_data
            try:
                services.calendar_set(actor=user, date=data["date"], working=data["working"],
                                               note=data["note"])
            except Refused as refused:
                add_form.add_error("note", refused.message)
            else:
                message = _("%(date)s is a working day.") if data["working"] else _("%(date)s is a day off.")
                messages.success(request, message % {"date": data["date"].isoformat()})
                return see_other(back)
        return _render(request, add_form=add_form, status=400)
    if action == "import":
        import_form = CalendarImportForm(request.POST)
        if import_form.is_valid():
            try:
                rows = services.calendar_parse(import_form.cleaned_data["text"])
                result = services.calendar_import(actor=user, rows=rows)
            except Refused as refused:
                return _render(request, import_form=import_form,
                               import_errors=[refused.message, *refused.params.get("errors", [])], status=400)
            messages.success(request, _("Calendar imported: %(created)s added, %(updated)s changed, %(unchanged)s "
                                        "unchanged.") % {"created": result.created, "updated": result.updated,
                                                         "unchanged": result.unchanged})
            return see_other(back)
        return _render(request, import_form=import_form, status=400)
    return HttpResponseBadRequest()
