"""The problem settings page (/problems/settings/): the categories with their days to rectify and duplicate
radius and window, and the working calendar's exceptions with a check of the deadline a problem dispatched on
a chosen day would get. The campaign office changes them through problems.settings_services; leaders read."""

import datetime as dt
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from dudao.accounts import access
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.problems import lifecycle, services, settings_services
from dudao.problems.models import CalendarDay, Category

IMPORT_MAX_CHARS = 20_000
# A dispatch at midday: the deadline depends on the day only.
CHECK_TIME = dt.time(12, 0)


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


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
    # The ranges are checked by settings_services.category_save, whose messages the form shows.
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
    categories = Category.objects.filter(campaign=campaign).order_by("position", "code")
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
    exception = CalendarDay.objects.filter(date=day).first()
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
                  for c in Category.objects.filter(campaign=campaign).order_by("position", "code")]
    today = timezone.localdate()
    until = _year_later(today)
    # A holiday at a weekend or a worked weekday changes nothing; say so rather than hide it.
    days = [{"day": d, "as_usual": d.working == lifecycle.default_is_working(d.date)}
            for d in CalendarDay.objects.filter(date__gte=today, date__lt=until).order_by("date")]
    check_form, check = _deadline_check(request, campaign)
    can_manage = access.is_office(user)
    return render(request, "problems/settings.html", {
        "categories": categories, "days": days, "until": until, "today": today,
        "later_count": CalendarDay.objects.filter(date__gte=until).count(),
        "can_manage": can_manage, "check_form": check_form, "check": check,
        "add_form": (add_form or CalendarDayForm(initial={"working": "0"})) if can_manage else None,
        "import_form": (import_form or CalendarImportForm()) if can_manage else None,
        "import_errors": import_errors or [],
    }, status=status)


@login_required
def problem_settings(request):
    """Everyone who reads the whole county (office, administrator, leaders) sees the settings; only the office
    and the administrator get the forms that change them."""
    _require(access.can_read_all(request.user))
    return _render(request)


@login_required
def problem_category_edit(request):
    """A new category (no ``code`` in the query), or the one whose code is given."""
    user = request.user
    _require(access.is_office(user))
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
        if category is None and Category.objects.filter(campaign=campaign, code=new_code).exists():
            form.add_error("code", _("A category with the code %(code)s exists already: edit it in the list.")
                           % {"code": new_code})
        else:
            try:
                saved = settings_services.category_save(
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
                return _see_other(reverse("problem_settings") + "#categories")
    return render(request, "problems/settings_category.html", {"form": form, "category": category},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def problem_calendar(request):
    """Add or change one exception (action=add), remove one (action=remove) or paste a list (action=import)."""
    user = request.user
    _require(access.is_office(user))
    action = request.POST.get("action", "")
    back = reverse("problem_settings") + "#calendar"
    if action == "remove":
        try:
            day = dt.date.fromisoformat(request.POST.get("date", ""))
        except ValueError:
            return HttpResponseBadRequest()
        settings_services.calendar_clear(actor=user, date=day)
        messages.success(request, _("%(date)s follows the Monday–Friday week again.") % {"date": day.isoformat()})
        return _see_other(back)
    if action == "add":
        add_form = CalendarDayForm(request.POST)
        if add_form.is_valid():
            data = add_form.cleaned_data
            try:
                settings_services.calendar_set(actor=user, date=data["date"], working=data["working"],
                                               note=data["note"])
            except Refused as refused:
                add_form.add_error("note", refused.message)
            else:
                message = _("%(date)s is a working day.") if data["working"] else _("%(date)s is a day off.")
                messages.success(request, message % {"date": data["date"].isoformat()})
                return _see_other(back)
        return _render(request, add_form=add_form, status=400)
    if action == "import":
        import_form = CalendarImportForm(request.POST)
        if import_form.is_valid():
            try:
                rows = settings_services.calendar_parse(import_form.cleaned_data["text"])
                result = settings_services.calendar_import(actor=user, rows=rows)
            except Refused as refused:
                return _render(request, import_form=import_form,
                               import_errors=[refused.message, *refused.params.get("errors", [])], status=400)
            messages.success(request, _("Calendar imported: %(created)s added, %(updated)s changed, %(unchanged)s "
                                        "unchanged.") % {"created": result.created, "updated": result.updated,
                                                         "unchanged": result.unchanged})
            return _see_other(back)
        return _render(request, import_form=import_form, status=400)
    return HttpResponseBadRequest()
