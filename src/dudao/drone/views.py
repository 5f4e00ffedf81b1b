"""The drone pages: the office's weeks, the batch upload, the keyboard review, the "place by hand" list, one photo,
and the week's coverage (which villages were flown and which were not); and the drone images themselves: display
copies and thumbnails to whoever sees the photo's village, the original (the evidence, with its metadata) to the
office only, as a download.

Reads go through dudao.drone.access and the selectors, every change through dudao.drone.services (the upload,
scoring and raising of problems go from the browser to the JSON API in dudao.api.drone, which calls the same
services). The coverage map is the shared map component (dudao.maps: village areas, flown or not); the maps to
place a photo by hand are SVG drawn here from the village points, in a plain equirectangular projection.
"""

import math
import uuid
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from dudao.accounts import access
from dudao.accounts.decorators import signed_in_or_token
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.core.errors import Refused
from dudao.drone import placement, selectors, services
from dudao.drone.access import drone_photos_visible_to
from dudao.drone.models import Batch, DronePhoto, Flag
from dudao.drone.services import display_ensure
from dudao.org.access import unit_visible_or_404
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.problems.selectors import categories_of
from dudao.ranking import lifecycle as ranking_lifecycle
from dudao.ranking import selectors as ranking_selectors
from dudao.ranking.models import RoundStatus, SourceName


def _serve(request, photo_id: int, kind: str) -> FileResponse:
    photo = get_object_or_404(drone_photos_visible_to(request.user), pk=photo_id)
    if kind == "original":
        if not access.is_office(request.user):
            raise PermissionDenied
        content_type = "image/heic" if photo.source_format == "HEIF" else "image/jpeg"
        response = FileResponse(default_storage.open(photo.original_name, "rb"), content_type=content_type,
                                as_attachment=True, filename=photo.filename)
    else:
        if kind == "display":
            photo = display_ensure(photo)
        name = photo.thumb_name if kind == "thumb" else photo.display_name
        response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
        response["Content-Disposition"] = f'inline; filename="drone-{photo.pk}-{kind}.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response


@signed_in_or_token
def drone_display(request, photo_id: int):
    return _serve(request, photo_id, "display")


@signed_in_or_token
def drone_thumb(request, photo_id: int):
    return _serve(request, photo_id, "thumb")


@signed_in_or_token
def drone_original(request, photo_id: int):
    return _serve(request, photo_id, "original")


# Pages ---------------------------------------------------------------------------------------------------------


WEEKS_SHOWN = 104
# The review screen's keys for the rubric flags (c: construction debris, b: building).
FLAG_KEYS = {Flag.GARBAGE: "g", Flag.DEBRIS: "c", Flag.STACKING: "s", Flag.STRUCTURE: "b"}
# The problem category a raised problem starts with, from the photo's first flag (if the campaign has it).
FLAG_CATEGORIES = {Flag.GARBAGE: "garbage", Flag.DEBRIS: "garbage", Flag.STACKING: "stacking",
                   Flag.STRUCTURE: "building"}
MAP_WIDTH = 1000
MAP_MAX_HEIGHT = 1400
MAP_PAD = 24
PLACEHOLDER = 987654321  # stands for a photo's or a problem's id in the URLs handed to the page's JavaScript
NO_UPLOAD = uuid.UUID(int=0)


def _office(user) -> None:
    access.require_office(user)


def _api_template(name: str) -> str:
    return reverse(name, args=[PLACEHOLDER]).replace(str(PLACEHOLDER), "{id}")


def _this_week() -> str:
    return weeks.week_of(timezone.localdate())


def _week_param(request) -> tuple[str, bool]:
    """The ?week= asked for, or this week; True when what was asked is not a week."""
    text = request.GET.get("week", "").strip()
    if not text:
        return _this_week(), False
    try:
        weeks.parse_week(text)
    except ValueError:
        return _this_week(), True
    return text, False


def _week_links(view: str, week: str) -> dict:
    def link(target: str) -> str:
        return f"{reverse(view)}?{urlencode({'week': target})}"

    return {"week": week, "this_week": _this_week(), "previous_link": link(weeks.add_weeks(week, -1)),
            "next_link": link(weeks.add_weeks(week, 1)), "this_link": link(_this_week()),
            "week_start": weeks.week_start(week), "week_end": weeks.week_end(week)}


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


# The SVG map ----------------------------------------------------------------------------------------------


@dataclass
class MapPoint:
    x: float
    y: float
    code: str
    name: str
    town: str
    state: str
    photos: int = 0


@dataclass
class MapMark:
    x: float
    y: float
    label: str
    photo: int


@dataclass
class VillageMap:
    width: int
    height: int
    points: list[MapPoint] = field(default_factory=list)
    shapes: list[tuple[str, str]] = field(default_factory=list)  # (SVG path, state)
    marks: list[MapMark] = field(default_factory=list)


def _rings(unit: Unit) -> list[list[tuple[float, float]]]:
    """The unit's boundary rings in WGS-84 (none when it has no boundary or it cannot be read)."""
    if not unit.boundary:
        return []
    try:
        geometry = placement.boundary_to_wgs84(unit.boundary, unit.boundary_datum or "wgs84")
    except ValueError:
        return []
    coordinates = geometry["coordinates"]
    polygons = coordinates if geometry["type"] == "MultiPolygon" else [coordinates]
    rings = []
    for polygon in polygons:
        for ring in polygon:
            rings.append([(float(point[0]), float(point[1])) for point in ring])
    return rings


def village_map(villages: list[Unit], states: dict[int, str], photos: dict[int, int] | None = None,
                marks: list[tuple[float, float, str, int]] | None = None) -> VillageMap | None:
    """The villages as dots (and boundaries where known) in an equirectangular projection of their own extent;
    ``marks`` are photo positions (lon, lat, label, photo id). None when nothing has a position."""
    photos, marks = photos or {}, marks or []
    located = [(v, unit_point_wgs84(v)) for v in villages]
    shapes = [(v, _rings(v)) for v in villages if v.boundary]
    lons = [p[0] for _v, p in located if p] + [pt[0] for _v, rings in shapes for ring in rings for pt in ring] \
        + [m[0] for m in marks]
    lats = [p[1] for _v, p in located if p] + [pt[1] for _v, rings in shapes for ring in rings for pt in ring] \
        + [m[1] for m in marks]
    if not lons:
        return None
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    squeeze = math.cos(math.radians((south + north) / 2))  # a degree of longitude is shorter than one of latitude
    span_x, span_y = max((east - west) * squeeze, 1e-3), max(north - south, 1e-3)
    scale = min((MAP_WIDTH - 2 * MAP_PAD) / span_x, (MAP_MAX_HEIGHT - 2 * MAP_PAD) / span_y)
    width = round(span_x * scale + 2 * MAP_PAD)
    height = round(span_y * scale + 2 * MAP_PAD)

    def project(lon: float, lat: float) -> tuple[float, float]:
        return round(MAP_PAD + (lon - west) * squeeze * scale, 1), round(MAP_PAD + (north - lat) * scale, 1)

    drawn = VillageMap(width, height)
    for village, rings in shapes:
        d = " ".join("M" + " L".join("{},{}".format(*project(lon, lat)) for lon, lat in ring) + " Z"
                     for ring in rings if len(ring) >= 3)
        if d:
            drawn.shapes.append((d, states.get(village.pk, "plain")))
    for village, point in located:
        if point is None:
            continue
        x, y = project(*point)
        drawn.points.append(MapPoint(x, y, village.code, village.name, village.parent.name if village.parent else "",
                                     states.get(village.pk, "plain"), photos.get(village.pk, 0)))
    for lon, lat, label, photo in marks:
        x, y = project(lon, lat)
        drawn.marks.append(MapMark(x, y, label, photo))
    return drawn


# /drone/ --------------------------------------------------------------------------------------------------


@login_required
def drone_home(request):
    """The weeks the office has flown, with what is left to do in each."""
    _office(request.user)
    campaign = campaign_get()
    village_count = len(selectors.campaign_villages(campaign))
    rows = []
    for row in selectors.weeks_flown(campaign, WEEKS_SHOWN):
        flown = row.get("flown", 0)
        rows.append({
            "week": row["week"], "batches": row["batches"], "last": row["last"],
            "photos": row.get("photos", 0), "placed": row.get("placed", 0), "unplaced": row.get("unplaced", 0),
            "scored": row.get("scored", 0), "outside": row.get("outside", 0), "flown": flown,
            "not_flown": max(village_count - flown, 0), "query": urlencode({"week": row["week"]}),
        })
    return render(request, "drone/home.html", {"rows": rows, "this_week": _this_week(),
                                               "village_count": village_count})


# /drone/upload/ -------------------------------------------------------------------------------------------


@login_required
def drone_upload(request):
    """Start or continue a week's batch and upload its photos (the uploads themselves are the API's, from JS)."""
    user = request.user
    _office(user)
    campaign = campaign_get()
    if request.method == "POST":
        week = request.POST.get("week", "").strip()
        try:
            batch = services.batch_create(actor=user, campaign=campaign, week=week,
                                          name=request.POST.get("name", ""))
        except Refused as error:
            messages.error(request, error.message)
            return redirect(reverse("drone_upload"))
        messages.success(request, _("Batch “%(name)s” started for week %(week)s.")
                         % {"name": batch.name, "week": batch.week})
        return redirect(f"{reverse('drone_upload')}?{urlencode({'week': batch.week, 'batch': batch.pk})}")
    week, week_error = _week_param(request)
    batch = None
    if request.GET.get("batch", "").isdigit():
        batch = get_object_or_404(Batch, campaign=campaign, pk=int(request.GET["batch"]))
        week, week_error = batch.week, False
    batches = selectors.week_batches(campaign, week)
    if batch is None and batches:
        batch = batches[0]  # continue the latest batch of the week
    if request.GET.get("part") == "table":
        if batch is None:
            raise Http404
        return render(request, "drone/_batch_table.html", {"batch": batch, "photos": selectors.batch_photos(batch),
                                                           "batch_counts": selectors.batch_counts(batch)})
    config = None
    if batch is not None:
        config = {
            "openUrl": reverse("api-v1:upload_open", args=[batch.pk]),
            "uploadUrl": reverse("api-v1:upload_chunk", args=[NO_UPLOAD]).removesuffix(str(NO_UPLOAD)),
            "tableUrl": f"{reverse('drone_upload')}?{urlencode({'batch': batch.pk, 'part': 'table'})}",
            "chunk": 4 * 1024 * 1024, "parallel": 3, "backoff": [1, 2, 5, 10, 20, 30, 60],
            "accept": [".jpg", ".jpeg", ".heic", ".heif"],
            "strings": {
                "waiting": _("waiting"), "sending": _("sending"), "stored": _("stored"),
                "duplicate": _("duplicate"), "refused": _("refused"), "resumed": _("resumed at %(percent)s %%"),
                "retry": _("connection lost; trying again in %(seconds)s s"),
                "notAccepted": _("not a JPEG or HEIC file"), "leave": _("Uploads are still running."),
                "signedOut": _("You were signed out: sign in again in another tab, then pick the files again."),
            },
        }
    return render(request, "drone/upload.html", {
        **_week_links("drone_upload", week), "week_error": week_error, "batch": batch, "batches": batches,
        "config": config, "photos": selectors.batch_photos(batch) if batch else [],
        "batch_counts": selectors.batch_counts(batch) if batch else {},
    })


# /drone/review/ -------------------------------------------------------------------------------------------


def _review_item(photo: DronePhoto) -> dict:
    return {
        "id": photo.pk, "url": reverse("drone_display", args=[photo.pk]),
        "thumb": reverse("drone_thumb", args=[photo.pk]), "detail": reverse("drone_photo", args=[photo.pk]),
        "filename": photo.filename, "village": photo.village.name if photo.village else "",
        "town": photo.village.parent.name if photo.village and photo.village.parent else "",
        "taken": _local(photo.taken_at), "altitude": photo.altitude_m, "relative": photo.relative_altitude_m,
        "placement": photo.get_placement_display(), "distance": photo.placement_distance_m,
        "score": photo.score, "flags": list(photo.flags), "outside": photo.outside_week, "week": photo.week,
    }


@login_required
def drone_review(request):
    """Score the week's placed photos from the keyboard (the keys and the saving are drone/review.js's)."""
    user = request.user
    _office(user)
    campaign = campaign_get()
    week, week_error = _week_param(request)
    photos = selectors.placed_photos(campaign, week)
    far_past = timezone.now().replace(year=1970)
    photos.sort(key=lambda p: (p.score is not None, p.taken_at or far_past, p.pk))  # unscored first
    start = 0
    wanted = request.GET.get("photo", "")
    for index, photo in enumerate(photos):
        if str(photo.pk) == wanted:
            start = index
    categories = categories_of(campaign, active=True)
    codes = {c.code for c in categories}
    fallback = "other" if "other" in codes else (categories[0].code if categories else "")
    config = {
        "photos": [_review_item(p) for p in photos], "start": start,
        "scoreUrl": _api_template("api-v1:score"), "problemUrl": _api_template("api-v1:raise_problem"),
        "problemPage": reverse("problem_detail", args=[PLACEHOLDER]), "problemPlaceholder": str(PLACEHOLDER),
        "flags": [{"code": f.value, "label": str(f.label), "key": FLAG_KEYS[f]} for f in Flag],
        "flagCategories": {flag.value: (code if code in codes else fallback)
                           for flag, code in FLAG_CATEGORIES.items()},
        "fallbackCategory": fallback,
        "strings": {
            "progress": _("%(scored)s / %(total)s scored"), "position": _("photo %(n)s of %(total)s"),
            "saving": _("saving…"), "saved": _("saved"), "failed": _("not saved: %(reason)s"),
            "raised": _("Problem %(number)s raised."), "noScore": _("not scored"),
            "outside": _("Taken in week %(week)s, not in this batch's week: its score does not count."),
            "altitude": _("%(metres)s m above sea level"), "relative": _("%(metres)s m above the take-off point"),
            "distance": _("%(metres)s m from the village point"), "describe": _("Seen from the drone (%(file)s)"),
            "zoomOn": _("zoomed: move the mouse or use the arrow keys; z to leave"), "network": _("network error"),
        },
    }
    return render(request, "drone/review.html", {
        **_week_links("drone_review", week), "week_error": week_error, "config": config, "count": len(photos),
        "categories": categories, "flags": config["flags"], "scores": range(1, 6),
    })


# /drone/unplaced/ and /drone/photos/<id>/ -----------------------------------------------------------------


def _place(request, photo: DronePhoto) -> bool:
    """Place (or take off) the photo on the village the form names; False (with a message) when refused."""
    code = request.POST.get("village", "").strip()
    village = None
    if code:
        village = unit_visible_or_404(request.user, code)
    try:
        services.drone_place(actor=request.user, photo=photo, village=village)
    except Refused as error:
        messages.error(request, error.message)
        return False
    if village is None:
        messages.success(request, _("“%(file)s” is no longer placed on a village.") % {"file": photo.filename})
    else:
        messages.success(request, _("“%(file)s” placed on %(village)s.") % {"file": photo.filename,
                                                                             "village": village.name})
    return True


def _towns(villages: list[Unit]) -> list[tuple[str, list[Unit]]]:
    grouped: dict[str, list[Unit]] = {}
    for village in villages:
        grouped.setdefault(village.parent.name if village.parent else "", []).append(village)
    return list(grouped.items())


def _picker_context(campaign) -> dict:
    villages = selectors.campaign_villages(campaign)
    return {"towns": _towns(villages), "map": village_map(villages, {})}


@login_required
def drone_unplaced(request):
    """The week's photos on no village (no position, or far from every village), to place by hand."""
    user = request.user
    _office(user)
    campaign = campaign_get()
    week, week_error = _week_param(request)
    back = f"{reverse('drone_unplaced')}?{urlencode({'week': week})}"
    if request.method == "POST":
        photo = get_object_or_404(DronePhoto, campaign=campaign, pk=request.POST.get("photo", "0") or 0)
        _place(request, photo)
        return redirect(back)
    photos = selectors.unplaced_photos(campaign, week)
    villages = selectors.campaign_villages(campaign)
    marks = [(p.lon, p.lat, p.filename, p.pk) for p in photos if p.lon is not None and p.lat is not None]
    return render(request, "drone/unplaced.html", {
        **_week_links("drone_unplaced", week), "week_error": week_error, "photos": photos,
        "towns": _towns(villages), "map": village_map(villages, {}, marks=marks),
        "strings": {"nearest": _("Nearest village: %(name)s (%(town)s). Press “Place” to confirm."),
                    "pickFirst": _("Choose a photo first (“Pick on the map”).")},
    })


@login_required
def drone_photo(request, pk: int):
    """One photo: what the camera recorded, where it was placed and how it was scored; the office re-places it."""
    user = request.user
    photo = get_object_or_404(drone_photos_visible_to(user).select_related("village__parent", "batch",
                                                                                   "scored_by", "uploaded_by"),
                              pk=pk)
    can_manage = access.is_office(user)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        _place(request, photo)
        return redirect("drone_photo", pk=photo.pk)
    context = {"photo": photo, "can_manage": can_manage,
               "flag_labels": [str(Flag(f).label) for f in photo.flags if f in Flag.values],
               "review_link": reverse("drone_review") + "?" + urlencode({"week": photo.batch.week,
                                                                          "photo": str(photo.pk)})}
    if can_manage:
        villages = selectors.campaign_villages(photo.campaign)
        marks = [(photo.lon, photo.lat, photo.filename, photo.pk)] if photo.lon is not None and \
            photo.lat is not None else []
        states = {photo.village_id: "current"} if photo.village_id else {}
        context.update({"towns": _towns(villages), "map": village_map(villages, states, marks=marks),
                        "place_required": photo.village_id is None,
                        "strings": {"nearest": _("Nearest village: %(name)s (%(town)s). Press “Place” to confirm."),
                                    "pickFirst": ""}})
    return render(request, "drone/photo.html", context)


# /drone/coverage/ -----------------------------------------------------------------------------------------


@dataclass
class CoverageTown:
    name: str
    flown: list = field(default_factory=list)
    not_flown: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.flown) + len(self.not_flown)


def _number(value: float | None) -> str:
    """A score as people write it: 4, 2.5, 3.667 (no trailing zeros); "" for none."""
    return "" if value is None else f"{round(value, 3):g}"


@login_required
def drone_coverage(request):
    """Which villages the week's photos cover and which they do not, as lists by township and on the map; with
    each village's drone score (the mean of its scored photos) and what the week's drone source holds."""
    user = request.user
    if access.effective_role(user) is None:
        raise PermissionDenied
    campaign = campaign_get()
    week, week_error = _week_param(request)
    found = selectors.coverage(campaign, week, user=user)
    scored = selectors.scored_counts(campaign, week)
    means = selectors.week_scores(campaign, week)
    round_ = ranking_selectors.round_live(campaign, week)
    source = ranking_selectors.scores_of(round_, SourceName.DRONE)
    towns: dict[str, CoverageTown] = {}
    for state, villages in (("flown", found.flown), ("not_flown", found.not_flown)):
        for village in villages:
            town = village.parent.name if village.parent else ""
            village.photo_count = found.photos.get(village.pk, 0)  # type: ignore[attr-defined]
            village.scored_count = scored.get(village.pk, 0)  # type: ignore[attr-defined]
            village.mean = _number(means.get(village.pk))  # type: ignore[attr-defined]
            village.source = _number(source.get(village.pk))  # type: ignore[attr-defined]
            getattr(towns.setdefault(town, CoverageTown(town)), state).append(village)
    return render(request, "drone/coverage.html", {
        **_week_links("drone_coverage", week), "week_error": week_error, "towns": list(towns.values()),
        "flown_count": len(found.flown), "not_flown_count": len(found.not_flown),
        "map_url": f"{reverse('map_data')}?{urlencode({'layer': 'coverage', 'week': week})}", "round": round_,
        "source_closed": round_ is not None and round_.status not in ranking_lifecycle.OPEN,
        "source_count": len(source), "can_manage": access.is_office(user),
        "is_published": round_ is not None and round_.status == RoundStatus.PUBLISHED,
    })
