"""Interviews (约谈) for the demo: the interviews that publishing the demo's weeks created, moved through every
state of their lifecycle by the services, as the demo accounts, like real work.

Only the clock is synthetic, as in dudao.demo.field: the demo publishes all its weeks at loading time, so the
loader first moves each week's interviews back in time (created a day ago for the latest published week, a week
earlier for each week before, with the hold-by date that follows), and moves a schedule it has just made back to
the day it was "held". The services check dates against today, so everything they are given lies in the allowed
range. The audit log keeps the true time of loading.

What the demo shows (the latest published week first):

- latest week: most interviews pending (in time), every fifth scheduled for tomorrow, a few cancelled;
- the week before: a third pending and overdue, a third scheduled for a day that has passed and overdue, a third
  held with open commitments (not yet due);
- two weeks before: held, commitments open (one overdue), reported done awaiting verification (some reported by
  the office itself, so that another office user must verify them);
- three weeks before: mostly closed, some with an overdue commitment or one awaiting verification;
- older weeks: closed, a few cancelled, a few held with an overdue commitment;
- three outcomes (问责追究) of interviews held three weeks or more before, flagged synthetic: an admonishment talk
  in 喜泉镇 (demo_town sees it), a circulated criticism and an accountability decision with its reference.
"""

import datetime as dt

from django.utils import timezone

from dudao.accounts.models import User
from dudao.interviews import services
from dudao.interviews.models import Commitment, Interview, InterviewStatus, OutcomeKind
from dudao.ranking.models import Round, RoundStatus

XIQUAN = "620423103000"  # 喜泉镇: demo_town
DASHUI = "620423103200"  # 大水䃎村: demo_village
INTERVIEWERS = ["县委副书记 张国栋", "县政府副县长 李明华", "县纪委副书记 王志强"]
PLACES = ["县委第二会议室", "县政府三楼会议室"]
COMMITMENTS = [
    "三日内清运村内积存垃圾，建立每日保洁巡查台账",
    "一周内拆除村道两侧乱搭乱建，恢复通行",
    "完成户厕改造排查，逐户建立问题清单",
    "清理房前屋后柴草杂物，落实门前三包",
    "整治村内污水乱排，疏通排水渠道",
]
MINUTES = ("约谈指出该村本周排名居全县后30位，环境卫生问题突出。被约谈人表态：深刻反思，立即整改，"
           "按承诺时限完成并报送整改情况。")
CANCEL_REASON = "被约谈人已调离原岗位，由接任者另行约谈。"


def _age(rows, created: dt.datetime, hold_by: dt.date) -> None:
    Interview.objects.filter(pk__in=[i.pk for i in rows]).update(created_at=created, hold_by=hold_by)
    for interview in rows:
        interview.created_at = created
        interview.hold_by = hold_by


def load_interviews(campaign) -> None:
    """Move the demo's interviews into every state; idempotent (nothing is done once any interview has moved)."""
    interviews = Interview.objects.filter(round__campaign=campaign)
    if Commitment.objects.filter(interview__in=interviews).exists() or \
            interviews.exclude(status=InterviewStatus.PENDING).exists():
        return
    office = User.objects.get(username="demo_office")
    admin = User.objects.get(username="demo_admin")
    town = User.objects.get(username="demo_town")
    village = User.objects.get(username="demo_village")
    now = timezone.localtime()
    tomorrow = (now + dt.timedelta(days=1)).replace(hour=9, minute=30, second=0, microsecond=0)
    rounds = list(Round.objects.filter(campaign=campaign, status=RoundStatus.PUBLISHED).order_by("-week_start"))

    def doer(interview: Interview) -> User:
        """Who reports a commitment done: the village's or the township's demo account, else the office."""
        if interview.unit.code == DASHUI:
            return village
        if f"/{XIQUAN}/" in f"/{interview.unit.path}":
            return town
        return office

    def hold(interview: Interview, held_on: dt.date, dues: list[int], k: int) -> list[Commitment]:
        services.interview_schedule(actor=office, interview=interview, scheduled_for=tomorrow,
                                    place=PLACES[k % len(PLACES)], interviewer=INTERVIEWERS[k % len(INTERVIEWERS)])
        Interview.objects.filter(pk=interview.pk).update(
            scheduled_for=timezone.make_aware(dt.datetime.combine(held_on, dt.time(9, 30))))
        services.interview_hold(
            actor=office, interview=interview, held_on=held_on, interviewer=INTERVIEWERS[k % len(INTERVIEWERS)],
            minutes=MINUTES, commitments=[
                services.CommitmentInput(COMMITMENTS[(k + n) % len(COMMITMENTS)], held_on + dt.timedelta(days=d))
                for n, d in enumerate(dues)])
        return list(Commitment.objects.filter(interview=interview).order_by("position"))

    def done(commitment: Commitment, interview: Interview, by: User | None = None) -> None:
        services.commitment_done(actor=by or doer(interview), commitment=commitment,
                                 note="已按承诺完成整改，照片已存档。")

    def verify(commitment: Commitment) -> None:
        commitment.refresh_from_db()
        services.commitment_verify(actor=admin if commitment.done_by_id == office.pk else office,
                                   commitment=commitment)

    for j, round_ in enumerate(rounds):
        rows = list(interviews.filter(round=round_).select_related("unit", "village", "round")
                    .order_by("village__code", "reason", "role", "pk"))
        created = now - dt.timedelta(days=1 + 7 * j)
        hold_by = services.hold_by_default(created.date())
        _age(rows, created.replace(hour=18, minute=0, second=0, microsecond=0), hold_by)
        held_on = created.date() + dt.timedelta(days=3)
        for k, interview in enumerate(rows):
            if interview.vacant:
                services.interview_cancel(actor=office, interview=interview, reason="该岗位本周空缺，无人可约谈。")
                continue
            if j == 0:
                if k % 37 == 3:
                    services.interview_cancel(actor=office, interview=interview, reason=CANCEL_REASON)
                elif k % 5 == 0:
                    services.interview_schedule(actor=office, interview=interview, scheduled_for=tomorrow,
                                                place=PLACES[0], interviewer=INTERVIEWERS[k % len(INTERVIEWERS)])
            elif j == 1:
                if k % 3 == 1:
                    services.interview_schedule(actor=office, interview=interview, scheduled_for=tomorrow,
                                                place=PLACES[1], interviewer=INTERVIEWERS[k % len(INTERVIEWERS)])
                    Interview.objects.filter(pk=interview.pk).update(
                        scheduled_for=timezone.make_aware(dt.datetime.combine(held_on, dt.time(15, 0))))
                elif k % 3 == 2:
                    hold(interview, held_on, [10, 20], k)
            elif j == 2:
                first, second = hold(interview, held_on, [10, 20], k)
                if k % 3 == 1:
                    done(first, interview)
                elif k % 3 == 2:
                    done(first, interview, by=office)
                    done(second, interview)
            elif j == 3:
                commitments = hold(interview, held_on, [7, 14], k)
                if k % 4 == 0:
                    done(commitments[1], interview)
                    verify(commitments[1])
                elif k % 4 == 1:
                    done(commitments[0], interview)
                    done(commitments[1], interview)
                    verify(commitments[1])
                else:
                    for commitment in commitments:
                        done(commitment, interview)
                        verify(commitment)
            else:
                if k % 10 == 0:
                    services.interview_cancel(actor=office, interview=interview, reason=CANCEL_REASON)
                    continue
                (commitment,) = hold(interview, held_on, [7], k)
                if k % 17 == 5:
                    continue  # still open, long overdue
                done(commitment, interview)
                verify(commitment)

    load_outcomes(office, rounds[3:])


OUTCOME_NOTE = "演示数据（合成）：约谈后整改不力，按程序处理。"


def load_outcomes(office: User, rounds: list[Round]) -> None:
    """Three synthetic outcomes of interviews held in the given (older) rounds, at most one per township: an
    admonishment talk in 喜泉镇, a circulated criticism and an accountability decision (文号, date) elsewhere."""
    held = (Interview.objects.filter(round__in=rounds, status__in=[InterviewStatus.HELD, InterviewStatus.CLOSED])
            .order_by("-round__week_start", "village__code", "pk"))
    first: dict[str, Interview] = {}
    for interview in held.select_related("village__parent"):
        first.setdefault(interview.village.parent.code if interview.village.parent else "", interview)
    others = [i for code, i in first.items() if code != XIQUAN][:2]
    chosen = [(i, kind, ref) for i, (kind, ref) in zip(
        [first[XIQUAN]] if XIQUAN in first else [], [(OutcomeKind.ADMONISHMENT, "")], strict=False)]
    chosen += [(i, kind, ref) for i, (kind, ref) in zip(
        others, [(OutcomeKind.CRITICISM, ""), (OutcomeKind.ACCOUNTABILITY, "景纪发〔2026〕3号（演示）")], strict=False)]
    today = timezone.localdate()
    for interview, kind, reference in chosen:
        services.outcome_record(actor=office, interview=interview, kind=kind, reference=reference,
                                decided_on=today if reference else None, note=OUTCOME_NOTE, synthetic=True)
