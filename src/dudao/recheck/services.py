"""The audit groups' re-inspections (督察组抽查): the office draws a week's sample of the villages the township groups
inspected, an audit group inspects them again with the same checklist, and the report compares the scores
(decision 0026). Every write is audit-logged in its transaction; a refusal writes nothing."""

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts.access import require_office
from dudao.accounts.actors import recorded_by
from dudao.audit.services import audit_record
from dudao.core import weeks
from dudao.core.errors import Refused, cleaned_text
from dudao.inspections import scoring
from dudao.inspections.services import MarkInput
from dudao.inspections.services import _describe as describe_problem
from dudao.org.models import GroupKind, Unit, WorkingGroup
from dudao.recheck import access, sampling, selectors
from dudao.recheck.models import Draw, Recheck, RecheckSettings


def _week(week: str) -> str:
    try:
        weeks.parse_week(week)
    except ValueError:
        raise Refused("bad_week", _("“%(week)s” is not a week (write it as 2026-W10).") % {"week": week}) from None
    return week.strip()


def recheck_draw(*, actor, campaign, week: str, size: int, group: WorkingGroup, redraw: bool = False,
                 reason: str = "") -> Draw:
    """Draw the week's sample of ``size`` villages among those the township groups inspected that week, for the
    audit group ``group`` to inspect again. One draw per week: another (``redraw``) needs a reason, replaces the
    current draw (kept, marked replaced) and is refused once a re-inspection of it is recorded."""
    require_office(actor)
    week = _week(week)
    if group.campaign_id != campaign.pk or group.kind != GroupKind.AUDIT or not group.active:
        raise Refused("not_audit_group", _("“%(group)s” is not an active audit group of this campaign.")
                      % {"group": group.name})
    if size < 1:
        raise Refused("size_too_small", _("The sample size must be at least 1."))
    reason = cleaned_text(reason, code="reason", maximum=1000,
                          empty=_("A redraw needs a reason.") if redraw else "")
    pool = selectors.candidates(campaign, week)
    if not pool:
        raise Refused("no_candidates", _("No village was inspected by the township groups in week %(week)s.")
                      % {"week": week})
    if size > len(pool):
        raise Refused("size_too_large", _("The sample size %(size)s is larger than the %(n)s villages inspected in "
                                          "week %(week)s.") % {"size": size, "n": len(pool), "week": week})
    seed = secrets.token_hex(16)
    sample = sampling.draw(seed, pool, size)
    try:
        with transaction.atomic():
            previous = Draw.objects.select_for_update().filter(campaign=campaign, week=week, current=True).first()
            if previous is not None and not redraw:
                raise Refused("already_drawn", _("Week %(week)s's sample is already drawn; a redraw needs a reason.")
                              % {"week": week})
            if previous is None and redraw:
                raise Refused("nothing_to_redraw", _("Week %(week)s has no sample to redraw.") % {"week": week})
            if previous is not None:
                if previous.rechecks.exists():
                    raise Refused("rechecks_made", _("Week %(week)s's sample cannot be redrawn: re-inspections of it "
                                                     "are recorded.") % {"week": week})
                previous.current = False
                previous.save(update_fields=["current"])
            draw = Draw.objects.create(campaign=campaign, week=week, group=group, seed=seed, size=size,
                                       candidates=pool, sample=sample, reason=reason, drawn_at=timezone.now(),
                                       **recorded_by("drawn_by", actor))
            audit_record(actor=actor, action="recheck.redraw" if redraw else "recheck.draw", object_type="recheck_draw",
                         object_id=str(draw.pk),
                         before={"draw": previous.pk, "seed": previous.seed, "sample": previous.sample}
                         if previous else None,
                         after={"week": week, "group": group.name, "seed": seed, "size": size, "candidates": pool,
                                "sample": sample, "reason": reason})
    except IntegrityError:  # another office user drew the week at the same moment
        raise Refused("already_drawn", _("Week %(week)s's sample is already drawn; a redraw needs a reason.")
                      % {"week": week}) from None
    return draw


def recheck_submit(*, actor, draw: Draw, village: Unit, marks: list[MarkInput], note: str = "",
                   inspected_at: dt.datetime | None = None) -> Recheck:
    """Record the audit group's re-inspection of a sampled village, scored with the checklist version the township
    group used for it that week. Once per village and draw; never in a ranking."""
    if not access.can_recheck(actor, draw):
        raise PermissionDenied
    if not draw.current:
        raise Refused("draw_replaced", _("This sample was redrawn; record the re-inspection on the current one."))
    if village.code not in draw.sample:
        raise Refused("not_sampled", _("%(village)s is not in week %(week)s's sample.")
                      % {"village": village.name, "week": draw.week})
    if Recheck.objects.filter(draw=draw, village=village).exists():
        raise Refused("already_rechecked", _("%(village)s is already re-inspected for week %(week)s.")
                      % {"village": village.name, "week": draw.week})
    inspection = (selectors.group_inspections(draw.campaign, draw.week).filter(village=village)
                  .select_related("checklist").order_by("-inspected_at").first())
    if inspection is None:
        raise Refused("not_sampled", _("%(village)s is not in week %(week)s's sample.")
                      % {"village": village.name, "week": draw.week})
    checklist = inspection.checklist
    items = {item.pk: item for item in checklist.items.all()}
    pure_items = [scoring.Item(i.pk, i.max_points, i.weight, i.critical, i.allow_na) for i in items.values()]
    pure_marks = [scoring.Mark(m.item_id, m.points) for m in marks]
    found = scoring.check(pure_items, pure_marks)
    if found:
        raise Refused("bad_scores", " ".join(describe_problem(p, items) for p in found))
    scored = scoring.score(pure_items, pure_marks, checklist.critical_cap)
    note = cleaned_text(note, code="note", maximum=2000)
    now = timezone.now()
    try:
        with transaction.atomic():
            recheck = Recheck.objects.create(
                draw=draw, village=village, checklist=checklist, inspector_id=actor.pk,
                inspected_at=inspected_at or now,
                score=scored.score, critical_failed=bool(scored.critical_failed), capped=scored.capped,
                marks=[[m.item_id, m.points] for m in marks], note=note)
            audit_record(actor=actor, action="recheck.submit", object_type="recheck", object_id=str(recheck.pk),
                         after={"draw": draw.pk, "week": draw.week, "village": village.code,
                                "checklist": f"{checklist.key} v{checklist.version}", "score": scored.score,
                                "marks": recheck.marks, "note": note})
    except IntegrityError:
        raise Refused("already_rechecked", _("%(village)s is already re-inspected for week %(week)s.")
                      % {"village": village.name, "week": draw.week}) from None
    return recheck


def recheck_threshold_set(*, actor, campaign, threshold: float) -> RecheckSettings:
    """The campaign's drift threshold (points on the 0–100 score)."""
    require_office(actor)
    if not 0 <= threshold <= 100:
        raise Refused("bad_threshold", _("The threshold must lie between 0 and 100 points."))
    with transaction.atomic():
        settings, _created = RecheckSettings.objects.select_for_update().get_or_create(campaign=campaign)
        before = settings.threshold
        settings.threshold = threshold
        settings.updated_at = timezone.now()
        for field, value in recorded_by("updated_by", actor).items():
            setattr(settings, field, value)
        settings.save()
        audit_record(actor=actor, action="recheck.threshold", object_type="campaign", object_id=campaign.slug,
                     before={"threshold": before}, after={"threshold": threshold})
    return settings
