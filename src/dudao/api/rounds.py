"""The weekly rounds (CONTRACTS §4): the campaign's rounds, one round with its checks, and its result rows exactly
as `dudao ranking export` writes them (dudao.ranking.selectors.export_rows is the one place of their shape).

Drafts are the office's: everyone else sees the rounds published once, and a draft week answers 404 as an unknown
week does (dudao.ranking.access.statuses_published_to). Results and counts are of the villages in the caller's
area (results_visible_to)."""

import datetime as dt

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from dudao.accounts import access
from dudao.api.errors import answers
from dudao.api.paging import offset_query
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.org.access import unit_visible_or_404
from dudao.org.models import Unit
from dudao.ranking import checks, lifecycle, selectors
from dudao.ranking.access import results_visible_to, statuses_published_to
from dudao.ranking.models import Result, Round, RoundStatus, Tier

router = Router(tags=["rounds"])


class TierCounts(Schema):
    green: int
    yellow: int
    red: int


class RoundSummary(Schema):
    week: str
    state: str
    state_label: str
    revision: int
    published_at: dt.datetime | None
    counts: TierCounts


class RoundPage(Schema):
    count: int
    items: list[RoundSummary]


class AgreementOut(Schema):
    town: str
    town_name: str
    tau_b: float | None
    pairs: int
    overlap: int
    flagged: bool


class FlipOut(Schema):
    source: str
    factor: float
    villages: list[str]


class ChecksOut(Schema):
    agreement: list[AgreementOut]
    sensitivity: list[FlipOut]
    coverage: dict[str, int]


class RoundOut(RoundSummary):
    revision_reason: str
    settings_version: int
    export_digest: str | None
    computed_at: dt.datetime | None
    checks: ChecksOut | None


class ResultRow(Schema):
    """One row of CONTRACTS §3's result export (the keys of `dudao ranking export`)."""

    code: str
    name: str
    town_code: str
    composite: float
    position: int
    tier: str
    red_streak: int
    escalated: bool
    p_town: float | None
    p_inspection: float | None
    p_drone: float | None


class ResultsOut(Schema):
    week: str
    revision: int
    state: str
    town: str | None
    results: list[ResultRow]


def week_or_422(week: str) -> str:
    try:
        weeks.parse_week(week)
    except ValueError:
        raise HttpError(422, _("“%(week)s” is not an ISO week such as 2026-W10.") % {"week": week}) from None
    return week


def _round(user, week: str, revision: int | None) -> Round:
    """The week's round the user may read: the revision asked for, else the live one, else the latest; 404 for
    a week without one (for all but the office, a week whose round is a draft)."""
    week_or_422(week)
    revisions = selectors.revisions_of(campaign_get(), week, statuses_published_to(user))
    round_ = selectors.revision_shown(revisions, str(revision) if revision is not None else "")
    if round_ is None:
        raise Http404
    return round_


def town_or_404(user, code: str) -> Unit | None:
    """The township a ``town`` filter names (None when it names none): 404 unknown or outside the area, 422 a
    unit that is not a township."""
    if not code:
        return None
    unit = unit_visible_or_404(user, code)
    if not unit.is_town:
        raise HttpError(422, _("%(name)s (%(code)s) is not a township.") % {"name": unit.name, "code": unit.code})
    return unit


def _counts(counts: dict[str, int] | None) -> TierCounts:
    return TierCounts(**(counts or dict.fromkeys(Tier.values, 0)))


def _summary(round_: Round, counts: dict[int, dict[str, int]]) -> dict:
    return dict(week=round_.week, state=round_.status, state_label=str(RoundStatus(round_.status).label),
                revision=round_.revision, published_at=round_.published_at, counts=_counts(counts.get(round_.pk)))


def _checks(round_: Round) -> ChecksOut:
    kept = checks.round_checks(round_)  # a published round's are computed once and kept
    return ChecksOut(
        agreement=[AgreementOut(town=a.town.code, town_name=a.town.name, tau_b=a.tau_b, pairs=a.pairs,
                                overlap=a.overlap, flagged=a.flagged) for a in kept.agreement],
        sensitivity=[FlipOut(source=f.source, factor=f.factor, villages=[u.code for u in f.units])
                     for f in kept.flips],
        coverage=kept.coverage)


@router.get("/rounds", response=answers(RoundPage, 422), summary="The campaign's rounds, the latest week first",
            description="Each round's week, state, revision and its ranked villages per tier (of the caller's "
                        "area). Drafts (rounds not published) only for the office; every revision is listed.")
def rounds(request, limit: int = Query(100, ge=1, le=1000), offset: int = offset_query()):
    user = request.user
    rows = selectors.rounds_newest_first(campaign_get(), statuses_published_to(user))
    page = list(rows[offset: offset + limit])
    counts = selectors.tier_counts_by_round(
        results_visible_to(user, Result.objects.filter(round__in=[r.pk for r in page])))
    return RoundPage(count=rows.count(), items=[RoundSummary(**_summary(r, counts)) for r in page])


@router.get("/rounds/{week}", response=answers(RoundOut, 404, 422), summary="One week's round and its checks",
            description="The live revision (or ?revision=N): state, revision, the settings version it was computed "
                        "with, the digest of its export and - for the county's readers, once computed - its checks "
                        "(each township's agreement with the independent sources, the villages whose tier a "
                        "halved or doubled weight would change, each source's coverage). A draft is 404 for all "
                        "but the office.")
def round_detail(request, week: str, revision: int | None = Query(None, ge=1)):
    user = request.user
    round_ = _round(user, week, revision)
    counts = selectors.tier_counts_by_round(results_visible_to(user, Result.objects.filter(round=round_)))
    show_checks = access.can_read_all(user) and round_.status in lifecycle.WITH_RESULTS
    return RoundOut(**_summary(round_, counts), revision_reason=round_.revision_reason,
                    settings_version=round_.settings.version, export_digest=round_.result_digest or None,
                    computed_at=round_.computed_at, checks=_checks(round_) if show_checks else None)


@router.get("/rounds/{week}/results", response=answers(ResultsOut, 404, 422),
            summary="One week's result rows as `dudao ranking export` writes them",
            description="The ranked villages of the caller's area (of one township with ?town=CODE), in position "
                        "order, with the keys and types of CONTRACTS §3's result export.")
def round_results(request, week: str, town: str = "", revision: int | None = Query(None, ge=1)):
    user = request.user
    round_ = _round(user, week, revision)
    township = town_or_404(user, town.strip())
    results = results_visible_to(user, Result.objects.filter(round=round_))
    if township is not None:
        results = results.filter(town=township)
    return ResultsOut(week=round_.week, revision=round_.revision, state=round_.status,
                      town=township.code if township else None,
                      results=[ResultRow(**row) for row in selectors.export_rows(round_, results)])
