"""Everything a week's bulletin shows, computed once from a published round with a fixed number of queries.

`build(round_)` reads the database; everything below it (`assemble`, `problem_counts`, `chart_png`, `digest`)
is plain Python over plain data, so the benchmark and the renderers need no database. The three renderers
(word, pdf, annex) take a `BulletinContent` and nothing else.
"""

import dataclasses
import datetime as dt
import hashlib
import io
import json
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from dudao.core.errors import Refused

TIERS = ("green", "yellow", "red")
SOURCES = ("town", "inspection", "drone")
NOT_RANKED = ""  # the tier of a village listed but not ranked (no source covered it), or absent last week


# The content ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierStyle:
    code: str
    label: str
    colour: str


@dataclass(frozen=True)
class SourceValue:
    raw: float | None  # the rank or score as delivered
    rank: float | None  # the fractional rank within the source's scope
    points: float | None  # the percentile p (0-1)


@dataclass(frozen=True)
class VillageRow:
    position: int | None
    code: str
    name: str
    town_code: str
    town_name: str
    tier: str
    composite: float | None
    red_streak: int
    escalated: bool
    capped: bool
    sources: tuple[SourceValue, ...]  # in SOURCES order
    previous_tier: str  # last published week's tier, NOT_RANKED when it was not ranked or there is none


@dataclass(frozen=True)
class ProblemCounts:
    found: int = 0
    rectified_on_time: int = 0
    overdue: int = 0
    rework: int = 0
    open: int = 0


@dataclass(frozen=True)
class TownRow:
    code: str
    name: str
    ranked: int
    tiers: tuple[int, int, int]  # green, yellow, red
    escalated: int
    interviews: int
    problems: ProblemCounts
    covered: tuple[int, int, int]  # villages covered by each source, SOURCES order
    submitted: bool  # the township delivered its own ranking
    late: bool


@dataclass(frozen=True)
class InterviewRow:
    village: str
    village_code: str
    town: str
    unit: str
    role: str  # PostRole code
    role_label: str
    reason: str  # "red" or "escalated"
    reason_label: str
    person: str
    vacant: bool


@dataclass(frozen=True)
class Coverage:
    source: str
    label: str
    villages: int
    share: float  # of the ranked and listed villages, 0-1
    towns: int  # townships with at least one village covered


@dataclass(frozen=True)
class TierChange:
    from_tier: str
    to_tier: str
    count: int


@dataclass(frozen=True)
class BulletinContent:
    campaign: str
    county: str
    week: str
    revision: int
    week_start: dt.date
    week_end: dt.date
    published_at: dt.datetime
    issuer: str
    doc_number: str
    styles: tuple[TierStyle, ...]  # in TIERS order
    villages: tuple[VillageRow, ...]  # ranked in position order, then the listed villages not ranked
    towns: tuple[TownRow, ...]
    interviews: tuple[InterviewRow, ...]
    problems: ProblemCounts
    coverage: tuple[Coverage, ...]
    previous_week: str  # "" when there is no earlier published week
    previous_counts: tuple[int, int, int]
    changes: tuple[TierChange, ...]
    green_count: int
    red_count: int
    escalation_threshold: int
    chart_png: bytes = field(default=b"", repr=False, compare=False)
    # The townships that had not submitted their own ranking when the week was published, and the office's reason
    # for publishing without them (the bulletin states both).
    missing_towns: tuple[str, ...] = ()
    publish_reason: str = ""

    # Lists the documents show --------------------------------------------------------------------------
    def tier_rows(self, tier: str) -> list[VillageRow]:
        return [v for v in self.villages if v.tier == tier]

    @property
    def ranked(self) -> list[VillageRow]:
        return [v for v in self.villages if v.position is not None]

    @property
    def unranked(self) -> list[VillageRow]:
        return [v for v in self.villages if v.position is None]

    @property
    def counts(self) -> tuple[int, int, int]:
        found = {t: 0 for t in TIERS}
        for v in self.villages:
            if v.tier in found:
                found[v.tier] += 1
        return found["green"], found["yellow"], found["red"]

    @property
    def escalated(self) -> list[VillageRow]:
        return [v for v in self.villages if v.escalated]

    @property
    def changed(self) -> list[VillageRow]:
        """Villages whose tier is not last week's (only when there was a last week)."""
        if not self.previous_week:
            return []
        return [v for v in self.ranked if v.tier != v.previous_tier]

    def style(self, tier: str) -> TierStyle | None:
        return next((s for s in self.styles if s.code == tier), None)

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of the content (the chart image excluded: it is drawn from the counts)."""
        return hashlib.sha256(canonical_json(self).encode("utf-8")).hexdigest()


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value):
    """The value as JSON takes it: dataclasses as dicts of their fields (what dataclasses.asdict gives, without its
    deep copies: the digest of a province's bulletin reads 400,000 values), tuples as lists, dates as ISO text,
    bytes (the chart) as null."""
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES.setdefault(kind, tuple(f.name for f in dataclasses.fields(value)))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical_json(content: BulletinContent) -> str:
    data = _plain(content)
    data.pop("chart_png", None)
    if not data["missing_towns"] and not data["publish_reason"]:
        # Bulletins of weeks every township submitted keep the digest they were made with.
        data.pop("missing_towns")
        data.pop("publish_reason")
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


# Problems as they stood at a moment ----------------------------------------------------------------------


FINISHED = {"closed", "cancelled"}
AWAITING_VILLAGE = {"dispatched", "returned"}


def problem_counts(events: Iterable[tuple[str, str, dt.datetime]], deadline: dt.datetime | None,
                   first_rectified: dt.datetime | None, cutoff: dt.datetime) -> ProblemCounts | None:
    """One problem's counts as they stood at ``cutoff``, in the definitions of
    dudao.problems.selectors.problem_stats: found (not cancelled), rectified on time (first rectification by the
    deadline, since verified or closed), overdue (past the deadline unrectified, or rectified after it), rework
    (returns), open (not closed). The status and the returns come from the timeline (transition, to_status, at,
    in order); the deadline and the first rectification are the problem's own (each is set once). None when the
    problem was cancelled or not yet reported at the cutoff."""
    status = ""
    rework = 0
    for transition, to_status, at in events:
        if at > cutoff:
            break
        status = to_status
        if transition == "return":
            rework += 1
    if not status or status == "cancelled":
        return None
    rectified = first_rectified if first_rectified is not None and first_rectified <= cutoff else None
    late_fix = rectified is not None and deadline is not None and rectified > deadline
    overdue = (status in AWAITING_VILLAGE and deadline is not None and cutoff > deadline) or late_fix
    on_time = status in ("verified", "closed") and rectified is not None and deadline is not None \
        and rectified <= deadline
    return ProblemCounts(found=1, rectified_on_time=int(on_time), overdue=int(overdue), rework=rework,
                         open=int(status not in FINISHED))


def add_counts(a: ProblemCounts, b: ProblemCounts) -> ProblemCounts:
    return ProblemCounts(*(x + y for x, y in zip(dataclasses.astuple(a), dataclasses.astuple(b), strict=True)))


# Assembling (pure) ------------------------------------------------------------------------------------------


@dataclass
class Inputs:
    """The plain data `assemble` turns into content; `build` fills it from the database."""

    campaign: str
    county: str
    week: str
    revision: int
    week_start: dt.date
    week_end: dt.date
    published_at: dt.datetime
    issuer: str
    doc_number: str
    styles: tuple[TierStyle, ...]
    green_count: int
    red_count: int
    escalation_threshold: int
    source_labels: dict[str, str]
    # (position, code, name, town_code, town_name, tier, composite, streak, escalated, capped, r×3, p×3)
    results: list[tuple]
    raw: dict[tuple[str, str], float | None]  # (village code, source) → rank or score delivered
    previous_week: str = ""
    previous_tiers: dict[str, str] = field(default_factory=dict)  # village code → tier last week
    interviews: list[InterviewRow] = field(default_factory=list)
    problems_by_town: dict[str, ProblemCounts] = field(default_factory=dict)
    submitted: dict[str, bool] = field(default_factory=dict)  # town code → late
    draw_chart: bool = True
    missing_towns: tuple[str, ...] = ()  # names of the townships that had not submitted when it was published
    publish_reason: str = ""


def assemble(inputs: Inputs) -> BulletinContent:
    villages = []
    for row in inputs.results:
        position, code, name, town_code, town_name, tier, composite, streak, escalated, capped = row[:10]
        r_values, p_values = row[10:13], row[13:16]
        sources = tuple(SourceValue(inputs.raw.get((code, s)), r, p)
                        for s, r, p in zip(SOURCES, r_values, p_values, strict=True))
        villages.append(VillageRow(position, code, name, town_code, town_name, tier or NOT_RANKED, composite,
                                   streak, bool(escalated), bool(capped), sources,
                                   inputs.previous_tiers.get(code, NOT_RANKED)))
    villages.sort(key=lambda v: (v.position is None, v.position or 0, v.code))
    interviews = sorted(inputs.interviews, key=lambda i: (i.village_code, i.reason != "red", i.role, i.person))
    towns: dict[str, dict] = {}
    for v in villages:
        t = towns.setdefault(v.town_code, {"name": v.town_name, "ranked": 0, "tiers": [0, 0, 0], "escalated": 0,
                                           "interviews": 0, "covered": [0, 0, 0]})
        if v.position is not None:
            t["ranked"] += 1
        if v.tier in TIERS:
            t["tiers"][TIERS.index(v.tier)] += 1
        t["escalated"] += int(v.escalated)
        for n, value in enumerate(v.sources):
            if value.points is not None:
                t["covered"][n] += 1
    town_of = {v.code: v.town_code for v in villages}
    for i in interviews:
        if i.village_code in town_of:
            towns[town_of[i.village_code]]["interviews"] += 1
    town_rows = tuple(
        TownRow(code, t["name"], t["ranked"], tuple(t["tiers"]), t["escalated"], t["interviews"],  # type: ignore[arg-type]
                inputs.problems_by_town.get(code, ProblemCounts()), tuple(t["covered"]),  # type: ignore[arg-type]
                code in inputs.submitted, inputs.submitted.get(code, False))
        for code, t in sorted(towns.items()))
    total = ProblemCounts()
    for code in sorted(inputs.problems_by_town):
        total = add_counts(total, inputs.problems_by_town[code])
    listed = len(villages) or 1
    coverage = tuple(
        Coverage(s, inputs.source_labels.get(s, s), sum(t.covered[n] for t in town_rows),
                 sum(t.covered[n] for t in town_rows) / listed, sum(1 for t in town_rows if t.covered[n]))
        for n, s in enumerate(SOURCES))
    previous_counts = tuple(sum(1 for tier in inputs.previous_tiers.values() if tier == t) for t in TIERS)
    changes: dict[tuple[str, str], int] = {}
    if inputs.previous_week:
        for v in villages:
            if v.position is not None and v.tier != v.previous_tier:
                changes[(v.previous_tier, v.tier)] = changes.get((v.previous_tier, v.tier), 0) + 1
    order = {t: n for n, t in enumerate((NOT_RANKED, *TIERS))}
    change_rows = tuple(TierChange(a, b, n) for (a, b), n in
                        sorted(changes.items(), key=lambda kv: (order[kv[0][0]], order[kv[0][1]])))
    content = BulletinContent(
        campaign=inputs.campaign, county=inputs.county, week=inputs.week, revision=inputs.revision,
        week_start=inputs.week_start, week_end=inputs.week_end, published_at=inputs.published_at,
        issuer=inputs.issuer, doc_number=inputs.doc_number, styles=inputs.styles, villages=tuple(villages),
        towns=town_rows, interviews=tuple(interviews), problems=total, coverage=coverage,
        previous_week=inputs.previous_week, previous_counts=previous_counts,  # type: ignore[arg-type]
        changes=change_rows, green_count=inputs.green_count, red_count=inputs.red_count,
        escalation_threshold=inputs.escalation_threshold, missing_towns=tuple(inputs.missing_towns),
        publish_reason=inputs.publish_reason)
    if inputs.draw_chart:
        content = dataclasses.replace(content, chart_png=chart_png(content))
    return content


# The chart ------------------------------------------------------------------------------------------------

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_FAMILY = "Noto Sans CJK SC"


@lru_cache(maxsize=1)
def cjk_font_file() -> tuple[str, int]:
    """The file and collection index of Noto Sans CJK SC (fontconfig's answer, else the Debian path)."""
    import subprocess

    candidates: list[str] = []
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", f"{CJK_FAMILY}:style=Regular"],  # noqa: S603, S607
                               capture_output=True, text=True, timeout=10, check=False).stdout.strip()
        if found:
            candidates.append(found)
    except (OSError, subprocess.SubprocessError):
        pass
    candidates.append(str(CJK_FONT))
    from PIL import ImageFont

    for path in candidates:
        if not Path(path).is_file():
            continue
        for index in range(16):
            try:
                font = ImageFont.truetype(path, 12, index=index)
            except OSError:
                break
            if font.getname()[0] == CJK_FAMILY:
                return path, index
    raise Refused("font_missing", f"The font {CJK_FAMILY} is not installed (Debian: apt-get install "
                                  f"fonts-noto-cjk); bulletins need it for their charts.")


def _font(size: int):
    from PIL import ImageFont

    path, index = cjk_font_file()
    return ImageFont.truetype(path, size, index=index)


def _lighter(colour: str, amount: float = 0.55) -> tuple[int, int, int]:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(int(c + (255 - c) * amount) for c in (r, g, b))  # type: ignore[return-value]


def chart_png(content: BulletinContent, width: int = 1200, height: int = 560) -> bytes:
    """Grouped bars: the number of villages in each tier last week (light) and this week (full colour)."""
    from django.utils.translation import gettext as _
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    title_font, label_font, small_font = _font(30), _font(24), _font(20)
    title = _("Villages per tier: week %(week)s against %(previous)s") % {
        "week": content.week, "previous": content.previous_week or _("no earlier week")}
    draw.text((width / 2, 20), title, fill="black", font=title_font, anchor="mt")
    now, before = content.counts, content.previous_counts
    top, bottom, left, right = 110, height - 70, 80, width - 40
    highest = max([*now, *before, 1])
    draw.line([(left, bottom), (right, bottom)], fill="#333333", width=2)
    group = (right - left) / len(TIERS)
    bar = group * 0.3
    for n, tier in enumerate(TIERS):
        style = content.style(tier)
        colour = style.colour if style else "#888888"
        label = style.label if style else tier
        x0 = left + group * n + group * 0.18
        bars: list[tuple[int, str | tuple[int, int, int]]] = [(before[n], _lighter(colour)), (now[n], colour)]
        for k, (value, fill) in enumerate(bars):
            x = x0 + k * (bar + group * 0.04)
            y = bottom - (bottom - top) * value / highest
            draw.rectangle([x, y, x + bar, bottom], fill=fill, outline="#333333")
            draw.text((x + bar / 2, y - 6), str(value), fill="black", font=label_font, anchor="mb")
        draw.text((left + group * n + group / 2, bottom + 12), label, fill="black", font=label_font, anchor="mt")
    legend_y = 70
    keys: list[tuple[str, str | tuple[int, int, int]]] = [(_("last week"), _lighter("#555555")),
                                                           (_("this week"), "#555555")]
    for k, (text, fill) in enumerate(keys):
        x = width - 330 + k * 160
        draw.rectangle([x, legend_y, x + 22, legend_y + 22], fill=fill, outline="#333333")
        draw.text((x + 30, legend_y + 11), text, fill="black", font=small_font, anchor="lm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


# Reading the database -------------------------------------------------------------------------------------


def doc_number(prefix: str, year: int, serial: int) -> str:
    return f"{prefix}〔{year}〕{serial}号"


def default_letterhead(county_name: str) -> tuple[str, str]:
    """The issuing office and number prefix made from the county's name (data, like the tier labels)."""
    name = county_name or ""
    return f"{name}城乡环境专项整治领导小组办公室", f"{name[:1]}环整办"


def build(round_, letterhead: dict | None = None, chart: bool = True) -> BulletinContent:
    """The content of a published (or superseded) round's bulletin. ``letterhead`` (issuer, doc_number) keeps
    what an earlier generation issued; without it the campaign's letterhead and the round's serial are used.
    Always in the site's language (settings.LANGUAGE_CODE), whoever asks: the digest is the same for everyone."""
    return assemble(read_inputs(round_, letterhead, chart))


def read_inputs(round_, letterhead: dict | None = None, chart: bool = True) -> Inputs:
    """What `build` assembles the content from, read from the database (in the site's language)."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return _read_inputs(round_, letterhead, chart)


_DIGESTS: dict[bytes, str] = {}  # inputs' fingerprint -> the digest of their content, the last few (this process)
DIGESTS_KEPT = 32


def content_digest(inputs: Inputs) -> str:
    """The digest of the content `assemble` makes of these inputs. Kept per process by a fingerprint of the inputs
    themselves (assemble is pure): asking again about unchanged data costs the reading, not the assembling and
    serialising (most of the time at a province's 16,000 villages). Equal inputs may pickle differently (a miss,
    computed again), different inputs never the same."""
    fingerprint = hashlib.sha256(pickle.dumps(inputs, protocol=5)).digest()
    digest = _DIGESTS.get(fingerprint)
    if digest is None:
        digest = assemble(dataclasses.replace(inputs, draw_chart=False)).digest()
        while len(_DIGESTS) >= DIGESTS_KEPT:
            _DIGESTS.pop(next(iter(_DIGESTS)))
        _DIGESTS[fingerprint] = digest
    return digest


def _read_inputs(round_, letterhead: dict | None, chart: bool) -> Inputs:
    from django.db.models import F
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from dudao.core import weeks
    from dudao.interviews.models import Interview, InterviewReason
    from dudao.org.models import PostRole
    from dudao.problems.models import Problem, ProblemEvent
    from dudao.ranking.models import Entry, Result, Round, SourceName, Submission
    from dudao.ranking.selectors import towns_not_submitted

    if round_.published_at is None:
        raise Refused("not_published", _("Week %(week)s is not published: it has no bulletin.")
                      % {"week": round_.week})
    round_ = Round.objects.select_related("settings", "campaign", "campaign__county").get(pk=round_.pk)
    settings = round_.settings
    campaign = round_.campaign
    county_name = campaign.county.name if campaign.county_id else ""
    if letterhead and letterhead.get("issuer") and letterhead.get("doc_number"):
        issuer, number = letterhead["issuer"], letterhead["doc_number"]
    else:
        issuer, number = current_letterhead(round_)
    styles = tuple(TierStyle(t, getattr(settings, f"{t}_label") or t, getattr(settings, f"{t}_colour"))
                   for t in TIERS)
    results = list(Result.objects.filter(round=round_).values_list(
        "position", "unit__code", "unit__name", "town__code", "town__name", "tier", "composite", "red_streak",
        "escalated", "capped", "r_town", "r_inspection", "r_drone", "p_town", "p_inspection", "p_drone"))
    raw = {(code, source): (rank if rank is not None else score) for code, source, rank, score in
           Entry.objects.filter(round=round_).values_list("unit__code", "source", "rank", "score")}
    previous = (Round.objects.filter(campaign=campaign, status="published", week_start__lt=round_.week_start)
                .order_by("-week_start").first())
    previous_tiers = dict(Result.objects.filter(round=previous, position__isnull=False)
                          .values_list("unit__code", "tier")) if previous else {}
    role_labels = dict(PostRole.choices)
    reason_labels = dict(InterviewReason.choices)
    town_name = {r[1]: r[4] for r in results}
    # One interview per official: the other red villages it covers follow its main village's name.
    others: dict[int, list[str]] = {}
    for interview_id, name in (Interview.villages.through.objects.filter(interview__round=round_)
                               .exclude(unit_id=F("interview__village_id")).order_by("interview_id", "unit__code")
                               .values_list("interview_id", "unit__name")):
        others.setdefault(interview_id, []).append(name)
    interviews = [
        InterviewRow("、".join([village, *others.get(pk, [])]), village_code, town_name.get(village_code, ""), unit,
                     role, str(role_labels.get(role, role)), reason, str(reason_labels.get(reason, reason)),
                     person or "", bool(vacant))
        for pk, village, village_code, unit, role, reason, person, vacant in
        # A total order (one village's post can have two holders): the same content every time it is read.
        Interview.objects.filter(round=round_).order_by("village__code", "reason", "role", "unit__code", "pk")
        .values_list("pk", "village__name", "village__code", "unit__name", "role", "reason", "person__name",
                     "vacant")
    ]
    # Problems reported in the round's week, as they stood when it was published.
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(round_.week_start, dt.time(), tzinfo=tz)
    problems: dict[int, str] = {}
    deadlines: dict[int, tuple[dt.datetime | None, dt.datetime | None]] = {}
    in_week = Problem.objects.filter(campaign=campaign, reported_at__gte=start,
                                     reported_at__lt=start + dt.timedelta(days=7))
    for pk, town_code, due, rectified in in_week.values_list("pk", "town__code", "deadline", "first_rectified_at"):
        problems[pk], deadlines[pk] = town_code, (due, rectified)
    timeline: dict[int, list[tuple[str, str, dt.datetime]]] = {}
    for problem_id, transition, to_status, at in (ProblemEvent.objects.filter(problem__in=in_week.values("pk"))
                                                  .order_by("problem_id", "at", "pk")
                                                  .values_list("problem_id", "transition", "to_status", "at")):
        timeline.setdefault(problem_id, []).append((transition, to_status, at))
    by_town: dict[str, ProblemCounts] = {}
    for problem_id, town_code in problems.items():
        due, rectified = deadlines[problem_id]
        counts = problem_counts(timeline.get(problem_id, []), due, rectified, round_.published_at)
        if counts is not None:
            by_town[town_code] = add_counts(by_town.get(town_code, ProblemCounts()), counts)
    submitted = {code: late for code, late in Submission.objects.filter(round=round_, source=SourceName.TOWN,
                                                                        town__isnull=False)
                 .values_list("town__code", "late")}
    return Inputs(
        campaign=campaign.slug, county=county_name, week=round_.week, revision=round_.revision,
        week_start=round_.week_start, week_end=weeks.week_end(round_.week),
        published_at=round_.published_at.astimezone(dt.UTC), issuer=issuer, doc_number=number, styles=styles,
        green_count=settings.green_count, red_count=settings.red_count,
        escalation_threshold=settings.escalation_threshold,
        source_labels={s: str(SourceName(s).label) for s in SOURCES}, results=results, raw=raw,
        previous_week=previous.week if previous else "", previous_tiers=previous_tiers, interviews=interviews,
        problems_by_town=by_town, submitted=submitted, draw_chart=chart,
        missing_towns=tuple(towns_not_submitted(campaign, round_).values_list("name", flat=True)),
        publish_reason=round_.publish_reason)


def current_letterhead(round_) -> tuple[str, str]:
    """The campaign's letterhead now, and the round's document number: the one issued to it
    (bulletins.services.number_issue), or for a round without one (a template's trial) the next that would be."""
    from dudao.bulletins.models import DocumentNumber
    from dudao.core import weeks

    issuer, prefix = letterhead_now(round_.campaign)
    issued = DocumentNumber.objects.filter(round=round_).first()
    if issued is not None:
        return issuer, doc_number(prefix, issued.year, issued.serial)
    year = weeks.parse_week(round_.week)[0]
    return issuer, doc_number(prefix, year, next_serial(round_.campaign, year))


def letterhead_now(campaign) -> tuple[str, str]:
    """The issuing office and number prefix of bulletins issued from now on."""
    from dudao.bulletins.models import Letterhead

    stored = Letterhead.objects.filter(campaign=campaign).first()
    if stored is not None:
        return stored.issuer, stored.prefix
    return default_letterhead(campaign.county.name if campaign.county_id else "")


def next_serial(campaign, year: int) -> int:
    """The serial the campaign's next document number of ``year`` gets: one more than the highest issued. Before
    numbers were issued, a bulletin's serial was the count of the year's published weeks up to its own, so the
    first issued one follows the highest of those."""
    from django.db.models import Max

    from dudao.bulletins.models import Bulletin, DocumentNumber
    from dudao.ranking import lifecycle
    from dudao.ranking.models import Round

    highest = DocumentNumber.objects.filter(campaign=campaign, year=year).aggregate(m=Max("serial"))["m"]
    if highest is not None:
        return highest + 1
    last_made = (Bulletin.objects.filter(campaign=campaign, week__startswith=f"{year}-W")
                 .aggregate(m=Max("round__week_start"))["m"])
    if last_made is None:
        return 1
    earlier = (Round.objects.filter(campaign=campaign, status__in=lifecycle.PUBLISHED_ONCE,
                                    week__startswith=f"{year}-W", week_start__lte=last_made)
               .values("week").distinct().count())
    return earlier + 1
