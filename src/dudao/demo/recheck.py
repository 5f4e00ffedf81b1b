"""The audit groups' re-inspections in the demo (synthetic): the latest inspected week's sample of three villages,
drawn for 第一督察组, and demo_audit's re-inspection of the first, a point stricter per item than the township
group's inspection. Idempotent; a few queries."""

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import User
from dudao.inspections.models import Inspection, ItemScore
from dudao.inspections.services import MarkInput
from dudao.org.models import GroupKind, Unit, WorkingGroup
from dudao.recheck import selectors, services
from dudao.recheck.models import Draw

AUDIT_GROUP = "第一督察组"
SAMPLE_SIZE = 3
NOTE = "演示数据（合成）：督察组复查"


def load_recheck(campaign) -> None:
    week = (Inspection.objects.filter(campaign=campaign).order_by("-week").values_list("week", flat=True).first())
    if week is None or Draw.objects.filter(campaign=campaign, week=week).exists():
        return
    group = WorkingGroup.objects.get(campaign=campaign, kind=GroupKind.AUDIT, name=AUDIT_GROUP)
    draw = services.recheck_draw(actor=SYSTEM, campaign=campaign, week=week, size=SAMPLE_SIZE, group=group)
    village = Unit.objects.get(code=draw.sample[0])
    inspection = (selectors.group_inspections(campaign, week).filter(village=village).order_by("-inspected_at")
                  .first())
    assert inspection is not None
    marks = [MarkInput(item_id, None if points is None else max(0.0, points - 1))
             for item_id, points in ItemScore.objects.filter(inspection=inspection).values_list("item_id", "points")]
    services.recheck_submit(actor=User.objects.get(username="demo_audit"), draw=draw, village=village, marks=marks,
                            note=NOTE)
