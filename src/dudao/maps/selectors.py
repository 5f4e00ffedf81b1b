"""What the map draws: the user's villages, communities and townships with their shapes, and one layer's state
for each village (the week's tier, drone coverage, problems, inspections) with a legend.

Queries are constant in the number of villages: one for the units (without their boundaries), one for the
boundaries only when the process has not serialised them yet (kept per unit and datum until the unit changes),
and one or two for the layer. Scoping: ``org.access.units_visible_to`` for the units, each app's access for
its rows; drafts of the ranking only for the office.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, BooleanField, CharField, Count, ExpressionWrapper, Q
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.translation import gettext as _

from dudao.accounts.access import is_office
from dudao.drone.models import DronePhoto
from dudao.inspections.access import inspections_visible_to
from dudao.maps import geometry
from dudao.org.access import units_visible_to
from dudao.org.models import RANKED_LEVELS, Level
from dudao.problems.access import problems_visible_to
from dudao.problems.models import Status as ProblemStatus
from dudao.ranking import lifecycle
from dudao.ranking import selectors as ranking_selectors
from dudao.ranking.models import Result, Round
from dudao.ranking.tiers import tier_styles

LAYERS = ("tier", "coverage", "problems", "inspections")
GREY = "#b8bec6"  # no result, not flown, no problem
COLOURS = {"good": "#2e9d4a", "middle": "#f2c12e", "bad": "#d8412f"}


@dataclass
class Area:
    id: int
    code: str
    name: str
    level: str
    town: str  # the township's name (villages), "" for a township
    synthetic: bool
    geometry: str  # compact GeoJSON geometry (its boundary, else its point), "" for none


@dataclass
class Layer:
    legend: list[dict[str, Any]]  # state, label, colour, count: in the order shown
    states: dict[int, dict[str, Any]]  # unit id -> properties: state and the layer's figures
    fields: list[dict[str, str]] = field(default_factory=list)  # figures shown on hover: key, label
    title: str = ""
    note: str = ""
    link: str = ""  # where a village's click goes: a URL with {code}


_shapes: dict[tuple[int, str], tuple[Any, str]] = {}  # (unit id, datum) -> (updated_at, geometry JSON)


def map_areas(user, campaign, datum: str) -> list[Area]:
    """The active villages, communities and townships of the campaign in the user's area, in tree order."""
    units = units_visible_to(user).filter(level__in=(*RANKED_LEVELS, Level.TOWN), active=True)
    if campaign.county_id:
        units = units.filter(path__startswith=campaign.county.path)
    rows = list(units.order_by("path").annotate(
        has_boundary=ExpressionWrapper(Q(boundary__isnull=False), output_field=BooleanField()),
        stamp=Cast("updated_at", CharField()))  # compared only: as text, not 16,000 datetimes made
        .values_list("id", "code", "name", "level", "parent__name", "lon", "lat", "point_datum", "boundary_datum",
                     "boundary_synthetic", "stamp", "has_boundary"))
    missing = [row[0] for row in rows if row[11] and _shapes.get((row[0], datum), (None,))[0] != row[10]]
    if missing:
        # One read of every boundary of the area: cheaper than a list of thousands of ids, and as rare as a change.
        stamps = {row[0]: row[10] for row in rows}
        for pk, boundary, stored in units.filter(boundary__isnull=False).values_list("id", "boundary",
                                                                                      "boundary_datum"):
            compact = geometry.compact_geometry(boundary, stored, datum)
            _shapes[(pk, datum)] = (stamps.get(pk), geometry.dumps(compact) if compact else "")
    areas = []
    for pk, code, name, level, town, lon, lat, point_datum, _bd, synthetic, _stamp, has_boundary in rows:
        shape = _shapes.get((pk, datum), (None, ""))[1] if has_boundary else ""
        if not shape and level in RANKED_LEVELS:
            shape = geometry.point_json(lon, lat, point_datum, datum)
        areas.append(Area(pk, code, name, level, "" if level == Level.TOWN else (town or ""), bool(synthetic)
                          and has_boundary, shape))
    return areas


# The week's ranking --------------------------------------------------------------------------------------


def map_statuses(user) -> frozenset[str]:
    """The rounds the map shows: drafts (computed, awaiting approval) to the office only."""
    return lifecycle.WITH_RESULTS if is_office(user) else lifecycle.PUBLISHED_ONCE


def map_weeks(user, campaign) -> list[str]:
    """The weeks with results the user may see, latest first."""
    return list(Round.objects.filter(campaign=campaign, status__in=map_statuses(user))
                .order_by("-week_start").values_list("week", flat=True).distinct())


def map_round(user, campaign, week: str = "") -> Round | None:
    """The week's round as the user may see it (a draft for the office, else the published one); without a week,
    the latest published."""
    if not week:
        return ranking_selectors.latest_published_round(campaign)
    if is_office(user):
        live = ranking_selectors.round_live(campaign, week)
        if live is not None and live.status in lifecycle.WITH_RESULTS:
            return live
    return ranking_selectors.published_round(campaign, week)


def tier_layer(round_: Round | None, areas: list[Area]) -> Layer:
    ids = {a.id for a in areas if a.level != Level.TOWN}
    states: dict[int, dict[str, Any]] = {}
    legend: list[dict[str, Any]] = []
    if round_ is not None:
        styles = tier_styles(round_.settings)
        counts = dict.fromkeys(styles, 0)
        for unit_id, tier, position, composite in Result.objects.filter(round=round_).values_list(
                "unit_id", "tier", "position", "composite"):
            if unit_id in ids and tier:
                states[unit_id] = {"state": tier, "position": position,
                                   "composite": None if composite is None else round(composite, 3)}
                counts[tier] = counts.get(tier, 0) + 1
        legend = [{"state": key, "label": style.label, "colour": style.colour, "count": counts.get(key, 0)}
                  for key, style in styles.items()]
    legend.append({"state": "none", "label": _("no result"), "colour": GREY, "count": len(ids) - len(states)})
    link = reverse("ranking_village", args=["CODE"]).replace("CODE", "{code}")
    if round_ is not None:
        link += f"?week={round_.week}"
    return Layer(legend, states, [{"key": "position", "label": _("position")},
                                  {"key": "composite", "label": _("composite")}],
                 title=_("Week %(week)s") % {"week": round_.week} if round_ else _("No published week yet"),
                 note=_("Draft: not published") if round_ is not None and round_.status != "published" else "",
                 link=link)


# Drone coverage, problems, inspections -------------------------------------------------------------------------


def _two_states(ids: set[int], hit: dict[int, dict[str, Any]], good: str, bad: str) -> Layer:
    states = {pk: {"state": "yes", **hit[pk]} if pk in hit else {"state": "no"} for pk in ids}
    done = sum(1 for pk in ids if pk in hit)
    return Layer([{"state": "yes", "label": good, "colour": COLOURS["good"], "count": done},
                  {"state": "no", "label": bad, "colour": COLOURS["bad"], "count": len(ids) - done}], states)


def coverage_layer(campaign, week: str, areas: list[Area]) -> Layer:
    ids = {a.id for a in areas if a.level != Level.TOWN}
    photos = dict(DronePhoto.objects.filter(campaign=campaign, batch__week=week, outside_week=False,
                                            village__isnull=False)
                  .order_by().values_list("village_id").annotate(n=Count("pk")))
    layer = _two_states(ids, {pk: {"photos": n} for pk, n in photos.items()}, _("flown"), _("not flown"))
    layer.fields = [{"key": "photos", "label": _("photos")}]
    layer.title = _("Drone coverage, week %(week)s") % {"week": week}
    return layer


def inspections_layer(user, week: str, areas: list[Area]) -> Layer:
    ids = {a.id for a in areas if a.level != Level.TOWN}
    rows = (inspections_visible_to(user).filter(week=week).order_by().values("village_id")
            .annotate(n=Count("pk"), mean=Avg("score")))
    hit = {row["village_id"]: {"inspections": row["n"], "score": round(row["mean"], 1)} for row in rows}
    layer = _two_states(ids, hit, _("visited"), _("not visited"))
    layer.fields = [{"key": "inspections", "label": _("inspections")}, {"key": "score", "label": _("mean score")}]
    layer.title = _("Inspections, week %(week)s") % {"week": week}
    return layer


OPEN_WAITING = (ProblemStatus.REPORTED, ProblemStatus.REGISTERED, ProblemStatus.RETURNED)
OPEN_WORKING = (ProblemStatus.DISPATCHED, ProblemStatus.RECTIFIED)


def problems_layer(user, campaign, areas: list[Area]) -> Layer:
    """Each village by its problems' status: waiting for action (reported, registered, returned), being rectified
    (dispatched, rectified, awaiting verification), all closed, none."""
    ids = {a.id for a in areas if a.level != Level.TOWN}
    counts: dict[int, dict[str, int]] = {}
    for village_id, status, n in (problems_visible_to(user).filter(campaign=campaign).order_by()
                                  .values_list("village_id", "status").annotate(n=Count("pk"))):
        kind = "waiting" if status in OPEN_WAITING else "working" if status in OPEN_WORKING else \
            "closed" if status in (ProblemStatus.VERIFIED, ProblemStatus.CLOSED) else ""
        if kind:
            counts.setdefault(village_id, {"waiting": 0, "working": 0, "closed": 0})[kind] += n
    states: dict[int, dict[str, Any]] = {}
    for pk in ids:
        found = counts.get(pk)
        if not found:
            states[pk] = {"state": "none"}
            continue
        state = "waiting" if found["waiting"] else "working" if found["working"] else "closed"
        states[pk] = {"state": state, **found}
    tally: dict[str, int] = {key: sum(1 for s in states.values() if s["state"] == key)
             for key in ("waiting", "working", "closed", "none")}
    legend: list[dict[str, Any]] = [
        {"state": "waiting", "label": _("problems waiting for action"), "colour": COLOURS["bad"]},
        {"state": "working", "label": _("problems being rectified"), "colour": COLOURS["middle"]},
        {"state": "closed", "label": _("all problems closed"), "colour": COLOURS["good"]},
        {"state": "none", "label": _("no problem"), "colour": GREY}]
    for entry in legend:
        entry["count"] = tally[entry["state"]]
    return Layer(legend, states, [{"key": "waiting", "label": _("waiting for action")},
                                  {"key": "working", "label": _("being rectified")},
                                  {"key": "closed", "label": _("closed")}],
                 title=_("Problems"), link=reverse("problem_list") + "?tab=all&village={code}")


def feature_collection(areas: list[Area], layer: Layer, meta: dict[str, Any]) -> str:
    """The GeoJSON text: townships (kind "town", drawn as borders) then villages with their layer's properties;
    meta carries the legend, the hover fields, the title and notes. Built from the geometries' JSON kept as text."""
    parts = []
    for area in areas:
        if not area.geometry:
            continue
        properties: dict[str, Any] = {"code": area.code, "name": area.name}
        if area.level == Level.TOWN:
            properties["kind"] = "town"
        else:
            properties["town"] = area.town
            properties.update(layer.states.get(area.id, {"state": "none"}))
        parts.append(f'{{"type":"Feature","geometry":{area.geometry},"properties":{geometry.dumps(properties)}}}')
    synthetic = any(area.synthetic for area in areas)
    head = {**meta, "title": layer.title, "note": layer.note, "legend": layer.legend, "fields": layer.fields,
            "link": layer.link,
            "synthetic": _("Schematic boundaries, not the real administrative divisions") if synthetic else ""}
    return f'{{"type":"FeatureCollection","meta":{geometry.dumps(head)},"features":[{",".join(parts)}]}}'
