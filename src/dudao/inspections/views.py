"""The pages of inspections: the inspectors' field app, and the office's and the townships' pages for checklists
(评分细则) and the inspections scored with them.

The field app is an installable web app: static JavaScript (static/dudao/field/) talking to /api/v1/; these views
serve what the phone needs to install it and to open it again without a signal (the shell, its service worker,
manifest and icons). Reads go through dudao.inspections.access and selectors, every change through
dudao.inspections.services; nothing here decides who may change what or how an inspection is scored.
"""

import functools
import hashlib
import io
import json
import math
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db.models import Avg, Count, Q, Sum
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET
from PIL import Image, ImageDraw

from dudao import __version__
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.core.errors import Refused
from dudao.core.http import require
from dudao.core.paging import paginate
from dudao.inspections import scoring, services
from dudao.inspections.access import (
    can_manage_checklist,
    can_see_checklists,
    checklists_visible_to,
    inspections_visible_to,
)
from dudao.inspections.models import Checklist
from dudao.inspections.selectors import inspections_filtered
from dudao.inspections.services import FAR_FROM_VILLAGE_M, POOR_ACCURACY_M
from dudao.org.access import area_roots, town_of, unit_visible_or_404, units_visible_to
from dudao.org.models import Level, Unit
from dudao.photos.access import photos_visible_to
from dudao.problems.access import problems_visible_to
from dudao.problems.models import Category
from dudao.problems.selectors import categories_of

SW_SOURCE = "dudao/field/sw.js"
SW_PLACEHOLDER = '{"version": "dev", "static": "/static/", "shell": []}'
# The static files the app shell needs offline; the service worker's cache version is their digest.
SHELL_STATIC = ("dudao/field/field.js", "dudao/field/field.css", "dudao/upload.js", "dudao/dudao.css",
                "vendor/pico.min.css", "vendor/htmx.min.js")
ICON_SIZES = (192, 512)
THEME_COLOUR = "#1b6e2d"


def _texts() -> dict[str, str]:
    """Every sentence field.js shows, translated here so the script holds none."""
    return {
        "all_sent": _("All sent."),
        "waiting": _("Waiting to send: %(n)s"),
        "sending": _("Sending…"),
        "failed": _("Not accepted: %(n)s"),
        "offline": _("No signal: your work is kept on this phone."),
        "sign_in_again": _("Sign in again to send."),
        "sign_in_as": _("Waits for %(user)s: sign in as %(user)s on this phone to send it."),
        "other_user": _("You are signed in as %(user)s, but this page was made for %(page_user)s: "
                        "reload the page before you go on."),
        "no_position": _("No position yet: allow location (GPS) and wait a moment."),
        "position": _("±%(accuracy)s m, %(distance)s from the village"),
        "position_no_village": _("±%(accuracy)s m"),
        "poor_accuracy": _("The position is accurate to worse than %(m)s m: wait outdoors for a better fix."),
        "far_from_village": _("You are more than %(m)s from the village."),
        "clock_off": _("The phone's clock is off by %(minutes)s minutes; the times sent are corrected."),
        "no_checklist": _("No checklist is in use for this village. Ask the campaign office."),
        "no_villages": _("No village matches."),
        "unscored": _("Not scored yet: %(n)s"),
        "score": _("Score %(score)s"),
        "critical": _("A critical item is below half its points: the score is capped at %(cap)s."),
        "draft_saved": _("Draft saved on this phone."),
        "queued": _("Kept on this phone; it is sent when there is a signal."),
        "sent": _("Received. Score %(score)s, week %(week)s."),
        "problem_reported": _("Problem %(number)s reported (%(category)s): open it."),
        "duplicate": _("It had already arrived; nothing was stored twice."),
        "upload_photo": _("Photo %(n)s of %(total)s"),
        "upload_report": _("Inspection"),
        "delete_confirm": _("Delete this inspection from the phone? It has not been sent."),
        "discard_confirm": _("Discard this draft and its photos?"),
        "network_error": _("The connection failed; it will be tried again."),
        "server_error": _("The server had a problem (%(status)s); it will be tried again."),
        "started": _("Started %(time)s"),
        "photos_none": _("No photo yet."),
        "photo_preparing": _("Preparing the photo…"),
        "use_photo": _("Use photo %(n)s"),
        "problem_no_photo": _("No photo yet: the next photo you take goes with this problem."),
        "points": _("points"),
        "delete_photo": _("Remove this photo"),
        "photo_missing": _("A photo is no longer on this phone: edit the inspection and take it again."),
        "metres": _("%(n)s m"),
        "kilometres": _("%(n)s km"),
    }


@login_required
@ensure_csrf_cookie
@require_GET
def field_app(request):
    """The app shell. Its data comes from /api/v1/field/bootstrap, fetched (and kept offline) by field.js."""
    config = {
        "username": request.user.get_username(),
        "bootstrap": reverse("api-v1:bootstrap"),
        "photos": reverse("api-v1:photo_upload"),
        "inspections": reverse("api-v1:inspection_submit"),
        "devices": reverse("api-v1:device_register"),
        "sw": reverse("field_sw"),
        "scope": reverse("field_app"),
        "manifest": reverse("field_manifest"),
        "poor_accuracy_m": POOR_ACCURACY_M,
        "far_from_village_m": FAR_FROM_VILLAGE_M,
        "theme_colour": THEME_COLOUR,
        "texts": _texts(),
    }
    response = render(request, "inspections/field.html", {"field_config": config, "theme_colour": THEME_COLOUR})
    # The service worker keeps its own copy for offline use; the browser's HTTP cache must not serve a stale one
    # (another user's page, an old CSRF form) when the network is there.
    response["Cache-Control"] = "no-cache, private"
    return response


@functools.lru_cache(maxsize=1)
def _service_worker_cached() -> str:
    return _service_worker()


def _service_worker() -> str:
    """sw.js with its configuration filled in: the shell's URLs and a version that changes with any of them."""
    path = finders.find(SW_SOURCE)
    if not path:
        raise Http404
    source = Path(str(path)).read_text(encoding="utf-8")
    digest = hashlib.sha256(source.encode() + __version__.encode())
    shell = [reverse("field_app"), reverse("field_manifest")]
    shell += [reverse("field_icon", args=[size]) for size in ICON_SIZES]
    for name in SHELL_STATIC:
        found = finders.find(name)
        if not found:
            continue  # a missing vendor file must not stop the rest of the shell from installing
        digest.update(Path(str(found)).read_bytes())
        shell.append(staticfiles_storage.url(name))
    config = json.dumps({"version": digest.hexdigest()[:16], "static": settings.STATIC_URL, "shell": shell})
    if SW_PLACEHOLDER not in source:
        raise RuntimeError(f"{SW_SOURCE} lost its configuration placeholder {SW_PLACEHOLDER}")
    return source.replace(SW_PLACEHOLDER, config, 1)


@require_GET
def field_sw(request):
    """The service worker, served under /field/ so that its scope is the field app."""
    body = _service_worker() if settings.DEBUG else _service_worker_cached()
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def field_manifest(request):
    """The web app manifest. Public: browsers fetch it without cookies."""
    icons = [{"src": reverse("field_icon", args=[size]), "sizes": f"{size}x{size}", "type": "image/png",
              "purpose": purpose} for size in ICON_SIZES for purpose in ("any", "maskable")]
    manifest = {
        "name": _("Dudao field inspection"),
        "short_name": _("Dudao"),
        "description": _("Inspect villages on site, with or without a signal."),
        "id": reverse("field_app"),
        "start_url": reverse("field_app"),
        "scope": reverse("field_app"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": icons,
    }
    response = JsonResponse(manifest, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "no-cache"
    return response


@functools.lru_cache(maxsize=len(ICON_SIZES))
def _icon_png(size: int) -> bytes:
    """A green square with a white tick, drawn inside the central 60 % so that maskable crops keep it whole."""
    image = Image.new("RGB", (size, size), THEME_COLOUR)
    draw = ImageDraw.Draw(image)
    unit = size / 100
    draw.line([(30 * unit, 52 * unit), (44 * unit, 66 * unit), (71 * unit, 36 * unit)], fill="white",
              width=max(2, round(9 * unit)), joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@require_GET
def field_icon(request, size: int):
    if size not in ICON_SIZES:
        raise Http404
    response = HttpResponse(_icon_png(size), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# Checklists and inspections ------------------------------------------------------------------------------------


PAGE_SIZE = 50
MAX_ROWS = 300  # more items than any checklist needs; bounds the work a forged form can ask for
BLANK_ROWS = 3  # empty rows under the items, so that the table works without JavaScript too
RANKED_LEVELS = (Level.VILLAGE, Level.COMMUNITY)
TRUE_WORDS = {"1", "y", "yes", "true", "x", "是", "√", "✓", "✔", "对"}



# Who sees which checklist ------------------------------------------------------------------------------
def _checklist_or_404(user, pk: int) -> Checklist:
    checklist = checklists_visible_to(user).select_related("town", "campaign").filter(pk=pk).first()
    if checklist is None:
        raise Http404
    return checklist


def _towns_for_new(user, campaign) -> list[Unit]:
    """The townships for which the user may start a checklist of their own."""
    towns = Unit.objects.of_campaign(campaign).towns().filter(active=True)
    if area_roots(user) is not None:
        towns = towns.filter(pk__in=units_visible_to(user))
    return [town for town in towns.order_by("code") if can_manage_checklist(user, town)]


@dataclass
class Section:
    name: str
    rows: list = field(default_factory=list)
    max_points: float = 0.0  # of the applicable items, for scores
    points: float = 0.0


def _sections(rows) -> list[Section]:
    """Items (or item scores, through .item) grouped by section, sections in the order they first appear."""
    sections: dict[str, Section] = {}
    for row in rows:
        item = getattr(row, "item", row)
        section = sections.setdefault(item.section, Section(item.section))
        section.rows.append(row)
        scored = getattr(row, "points", item.max_points)
        if scored is not None:
            section.max_points += item.max_points
            section.points += scored
    return list(sections.values())


# 1. Checklists -----------------------------------------------------------------------------------------


@login_required
def checklist_list(request):
    user = request.user
    require(can_see_checklists(user))
    campaign = campaign_get()
    versions = list(checklists_visible_to(user).filter(campaign=campaign).select_related("town")
                    .annotate(item_count=Count("items"), total_points=Sum("items__max_points"))
                    .order_by("key", "-version"))
    by_key: dict[str, list[Checklist]] = {}
    for checklist in versions:
        by_key.setdefault(checklist.key, []).append(checklist)
    used = dict(inspections_visible_to(user).filter(campaign=campaign, checklist__key__in=list(by_key))
                .order_by().values("checklist__key").annotate(n=Count("id")).values_list("checklist__key", "n"))
    rows = []
    for key, all_versions in by_key.items():
        current = all_versions[0]
        current.older = all_versions[1:]  # type: ignore[attr-defined]
        current.inspection_count = used.get(key, 0)  # type: ignore[attr-defined]
        current.editable = can_manage_checklist(user, current.town)  # type: ignore[attr-defined]
        rows.append(current)
    rows.sort(key=lambda c: (c.town is not None, c.town.code if c.town else "", c.name, c.key))
    towns = _towns_for_new(user, campaign)
    return render(request, "inspections/checklist_list.html", {
        "rows": rows, "can_new_county": can_manage_checklist(user, None), "new_towns": towns,
        "has_county": any(c.town is None for c in rows),
    })


@login_required
def checklist_detail(request, pk: int):
    user = request.user
    checklist = _checklist_or_404(user, pk)
    items = list(checklist.items.select_related("category"))
    versions = list(checklists_visible_to(user).filter(campaign=checklist.campaign, key=checklist.key)
                    .order_by("-version").only("pk", "version", "created_at", "created_by_label"))
    latest = versions[0]
    return render(request, "inspections/checklist_detail.html", {
        "checklist": checklist, "sections": _sections(items), "item_count": len(items),
        "total_points": sum(i.max_points for i in items), "critical_count": sum(1 for i in items if i.critical),
        "versions": versions, "latest": latest, "is_latest": latest.pk == checklist.pk,
        "editable": latest.pk == checklist.pk and can_manage_checklist(user, checklist.town),
        "inspection_count": inspections_visible_to(user).filter(checklist=checklist).count(),
    })


@dataclass
class Row:
    """One line of the item table as typed: kept as text, so that a refused table comes back as it was sent."""

    section: str = ""
    text: str = ""
    points: str = ""
    weight: str = "1"
    critical: bool = False
    allow_na: bool = False
    category: str = ""

    def blank(self) -> bool:
        return not (self.section or self.text or self.points)


def _number_text(value: float) -> str:
    return f"{value:g}"


def _truthy(text: str) -> bool:
    return text.strip().lower() in TRUE_WORDS


def _rows_from_items(items) -> list[Row]:
    return [Row(i.section, i.text, _number_text(i.max_points), _number_text(i.weight), i.critical, i.allow_na,
                i.category.code if i.category else "") for i in items]


def _rows_from_table(post) -> list[Row]:
    try:
        count = min(max(int(post.get("rows", "0")), 0), MAX_ROWS)
    except ValueError:
        count = 0
    rows = []
    for n in range(count):
        prefix = f"item-{n}-"
        if post.get(prefix + "delete"):
            continue
        rows.append(Row(post.get(prefix + "section", "").strip(), post.get(prefix + "text", "").strip(),
                        post.get(prefix + "points", "").strip(), post.get(prefix + "weight", "").strip() or "1",
                        bool(post.get(prefix + "critical")), bool(post.get(prefix + "allow_na")),
                        post.get(prefix + "category", "").strip()))
    return rows


def _rows_from_paste(text: str, categories: list[Category]) -> list[Row]:
    """Lines copied from a spreadsheet (tab-separated): section, item, points, weight, critical, may be N/A,
    category (its code or its name). A first line whose points are not a number is a heading and skipped."""
    by_name = {c.name: c.code for c in categories}
    rows = []
    for number, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split("\t")] + [""] * 7
        section, item, points, weight, critical, allow_na, category = cells[:7]
        if number == 0 and points and not _is_number(points):
            continue
        rows.append(Row(section, item, points, weight or "1", _truthy(critical), _truthy(allow_na),
                        by_name.get(category, category)))
    return rows[:MAX_ROWS]


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _items(rows: list[Row]) -> list[services.ItemInput]:
    items = []
    for number, row in enumerate(rows, start=1):
        if not (_is_number(row.points) and _is_number(row.weight)):
            raise Refused("item_number", _("Item %(n)s: the points and the weight must be numbers.") % {"n": number})
        items.append(services.ItemInput(row.section, row.text, float(row.points), float(row.weight), row.critical,
                                        row.allow_na, row.category))
    return items


def _checklist_form(request, *, campaign, checklist: Checklist | None, town: Unit | None, key: str | None,
                    rows: list[Row], name: str, critical_cap: float, active: bool, towns: list[Unit] | None = None,
                    can_county: bool = False, scope: str = ""):
    """The item table of a new checklist or of a new version of one; a valid POST saves and leaves the page."""
    user = request.user
    categories = categories_of(campaign)
    error = ""
    status = 200
    if request.method == "POST":
        post = request.POST
        name = post.get("name", "").strip()
        active = bool(post.get("active")) if checklist is not None else True
        rows = [row for row in _rows_from_table(post) + _rows_from_paste(post.get("paste", ""), categories)
                if not row.blank()]
        cap_text = post.get("critical_cap", "").strip()
        scope = post.get("town", "").strip() if checklist is None else scope
        try:
            if checklist is not None:
                latest = services.checklist_current(campaign, checklist.key)
                if latest is not None and latest.pk != checklist.pk:
                    raise Refused("stale", _("Version %(version)s was saved meanwhile by %(who)s: your changes are "
                                             "not saved. Open the latest version and make them there.")
                                  % {"version": latest.version, "who": latest.created_by_label})
            else:
                town = _scope(user, scope)
                key = _new_key(campaign, town)
            if not _is_number(cap_text):
                raise Refused("bad_cap", _("The score cap must lie between 0 and 100."))
            critical_cap = float(cap_text)
            saved = services.checklist_save(actor=user, campaign=campaign, key=key or "", name=name, town=town,
                                            critical_cap=critical_cap, items=_items(rows), active=active)
        except Refused as refused:
            error = refused.message
            status = 409 if refused.code == "stale" else 400
        else:
            messages.success(request, _("Saved as version %(version)s. Inspections already made keep the version "
                                        "they were scored with.") % {"version": saved.version})
            return redirect("checklist_detail", saved.pk)
    codes = [c.code for c in categories]
    shown = [*rows, *(Row() for _n in range(BLANK_ROWS))]
    sections = sorted({row.section for row in rows if row.section} | {s for s, *_rest in services.DEFAULT_ITEMS})
    return render(request, "inspections/checklist_form.html", {
        "checklist": checklist, "town": town, "name": name, "critical_cap": _number_text(critical_cap),
        "active": active, "rows": shown, "row_count": len(shown), "categories": categories, "category_codes": codes,
        "sections": sections, "error": error, "towns": towns or [], "can_county": can_county, "scope": scope,
        "paste": request.POST.get("paste", "") if error else "",
    }, status=status)


def _scope(user, value: str) -> Unit | None:
    """The county (None) or the township a new checklist is for, as the form names it."""
    if value == "county":
        require(can_manage_checklist(user, None))
        return None
    if not value:
        raise Refused("scope_required", _("Choose the county or a township."))
    town = unit_visible_or_404(user, value)
    if town.level != Level.TOWN:
        raise Http404
    require(can_manage_checklist(user, town))
    return town


def _new_key(campaign, town: Unit | None) -> str:
    """The county's first checklist takes the default key; any other new one a key nobody can guess or race for."""
    if town is None and services.checklist_current(campaign, services.DEFAULT_KEY) is None:
        return services.DEFAULT_KEY
    return f"{town.code if town else 'county'}-{secrets.token_hex(4)}"


@login_required
def checklist_new(request):
    """A new checklist: township staff for their township, the office for any township or the county."""
    user = request.user
    campaign = campaign_get()
    towns = _towns_for_new(user, campaign)
    can_county = can_manage_checklist(user, None)
    require(can_county or bool(towns))
    scope = request.GET.get("town", "").strip()
    if not can_county and len(towns) == 1:
        scope = towns[0].code
    rows: list[Row] = []
    name = ""
    if scope == "county" and can_county and services.checklist_current(campaign, services.DEFAULT_KEY) is None:
        # The county's first checklist starts from the rural living environment items.
        rows = [Row(s, t, _number_text(p), "1", c, na, cat) for s, t, p, c, na, cat in services.DEFAULT_ITEMS]
        name = _("Rural living environment checklist")
    return _checklist_form(request, campaign=campaign, checklist=None, town=None, key=None, rows=rows, name=name,
                           critical_cap=60.0, active=True, towns=towns, can_county=can_county, scope=scope)


@login_required
def checklist_edit(request, pk: int):
    """A new version of a checklist, starting from the latest one's items."""
    user = request.user
    checklist = _checklist_or_404(user, pk)
    require(can_manage_checklist(user, checklist.town))
    latest = services.checklist_current(checklist.campaign, checklist.key)
    if request.method != "POST" and latest is not None and latest.pk != checklist.pk:
        return redirect("checklist_edit", latest.pk)
    return _checklist_form(request, campaign=checklist.campaign, checklist=checklist, town=checklist.town,
                           key=checklist.key, rows=_rows_from_items(checklist.items.select_related("category")),
                           name=checklist.name, critical_cap=checklist.critical_cap, active=checklist.active)


# 2. Inspections ----------------------------------------------------------------------------------------


def _this_week() -> str:
    return weeks.week_of(timezone.localdate())


@login_required
def inspection_list(request):
    user = request.user
    campaign = campaign_get()
    week = request.GET.get("week", "").strip()
    week_error = False
    try:
        weeks.parse_week(week)
    except ValueError:
        week_error = bool(week)
        week = _this_week()
    town = request.GET.get("town", "").strip()
    village = request.GET.get("village", "").strip()
    key = request.GET.get("checklist", "").strip()

    towns = list(units_visible_to(user).filter(level=Level.TOWN).order_by("code"))
    if len(towns) == 1:
        town = towns[0].code  # the only choice; also lists its villages
    if village and not town:  # a link to one village's inspections
        unit = units_visible_to(user).filter(code=village).first()
        town_unit = town_of(unit)
        town = town_unit.code if town_unit else ""
    villages = (list(units_visible_to(user).filter(parent__code=town, level__in=RANKED_LEVELS)
                     .order_by("code")) if town else [])
    if villages and village not in {v.code for v in villages}:
        village = ""  # a village of the township chosen before
    latest_by_key: dict[str, Checklist] = {}
    visible = checklists_visible_to(user).filter(campaign=campaign)
    for c in visible.order_by("key", "-version").only("key", "name"):
        latest_by_key.setdefault(c.key, c)

    found = inspections_filtered(user, week=week, town=town, village=village, checklist_key=key).filter(
        campaign=campaign)
    counts = found.aggregate(inspections=Count("id"), villages=Count("village", distinct=True), mean=Avg("score"),
                             critical=Count("id", filter=Q(critical_failed=True)))
    page = paginate(request, found.select_related("village", "town", "inspector", "inspector__person", "checklist")
                    .annotate(photo_count=Count("photos")).order_by("-inspected_at", "-pk"), PAGE_SIZE)
    for row in page:
        row.warning_texts = [services.warning_text(w) for w in row.warnings]  # type: ignore[attr-defined]

    filters = {name: value for name, value in (("town", town), ("village", village), ("checklist", key)) if value}

    def link(**changes) -> str:
        return "?" + urlencode({k: v for k, v in {"week": week, **filters, **changes}.items() if v})

    return render(request, "inspections/inspection_list.html", {
        "page": page, "counts": counts, "week": week, "week_error": week_error, "this_week": _this_week(),
        "this_link": link(week=_this_week()),
        "previous_link": link(week=weeks.add_weeks(week, -1)), "next_link": link(week=weeks.add_weeks(week, 1)),
        "page_query": QueryDict(link().removeprefix("?")), "town": town, "village": village, "key": key, "towns": towns,
        "villages": villages, "checklists": sorted(latest_by_key.values(), key=lambda c: c.name),
    })


@login_required
def inspection_detail(request, pk: int):
    user = request.user
    inspection = get_object_or_404(inspections_visible_to(user).select_related(
        "village", "town", "inspector", "checklist"), pk=pk)
    scores = list(inspection.scores.select_related("item", "item__category"))
    pure_items = [scoring.Item(s.item_id, s.item.max_points, s.item.weight, s.item.critical, s.item.allow_na)
                  for s in scores]
    failed = set(scoring.score(pure_items, [scoring.Mark(s.item_id, s.points) for s in scores],
                               inspection.checklist.critical_cap).critical_failed)
    for s in scores:
        s.critical_failed = s.item_id in failed  # type: ignore[attr-defined]
        s.lost = s.points is not None and s.points < s.item.max_points  # type: ignore[attr-defined]
    photos = list(photos_visible_to(user).filter(inspections=inspection).order_by("pk"))
    problems = list(problems_visible_to(user).filter(inspection=inspection).select_related("category", "item")
                    .order_by("pk"))
    delay = inspection.received_at - inspection.inspected_at
    return render(request, "inspections/inspection_detail.html", {
        "inspection": inspection, "sections": _sections(scores), "photos": photos, "problems": problems,
        "warnings": [services.warning_text(w) for w in inspection.warnings],
        "delayed": delay.total_seconds() >= 3600,
        "not_applicable": sum(1 for s in scores if s.points is None),
    })
