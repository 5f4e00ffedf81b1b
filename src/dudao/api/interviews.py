"""Interviews (约谈) in the caller's area (CONTRACTS §4): who is interviewed about which village, in which state, with
their commitments. Reads through dudao.interviews.access (interviews_visible_to); inspectors take no part (403)."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from dudao.api.errors import answers
from dudao.api.paging import offset_query
from dudao.api.rounds import week_or_422
from dudao.interviews import lifecycle, selectors
from dudao.interviews.access import can_see_interviews
from dudao.interviews.models import Commitment, CommitmentStatus, Interview, InterviewReason, InterviewStatus
from dudao.org.access import unit_visible_or_404
from dudao.org.models import PostRole

router = Router(tags=["interviews"])


class CommitmentOut(Schema):
    id: int
    text: str
    due_date: dt.date
    state: str
    state_label: str
    overdue: bool


class VillageOut(Schema):
    code: str
    name: str


class InterviewOut(Schema):
    id: int
    week: str
    revision: int
    village: str
    village_name: str
    villages: list[VillageOut]
    town: str
    town_name: str
    unit: str
    unit_name: str
    role: str
    role_label: str
    reason: str
    reason_label: str
    person_name: str | None
    post_title: str | None
    vacant: bool
    state: str
    state_label: str
    hold_by: dt.date
    scheduled_for: dt.datetime | None
    place: str
    interviewer: str
    held_on: dt.date | None
    overdue: bool
    commitments: list[CommitmentOut]


class InterviewPage(Schema):
    count: int
    items: list[InterviewOut]


def _label(choices, code: str) -> str:
    return str(choices(code).label) if code in choices.values else code


def _interview_out(interview: Interview, today: dt.date) -> InterviewOut:
    village, post = interview.village, interview.post
    town = village.parent
    return InterviewOut(
        id=interview.pk, week=interview.round.week, revision=interview.round.revision, village=village.code,
        village_name=village.name, villages=[VillageOut(code=v.code, name=v.name) for v in interview.village_list()],
        town=town.code if town else "", town_name=town.name if town else "",
        unit=interview.unit.code, unit_name=interview.unit.name, role=interview.role,
        role_label=_label(PostRole, interview.role), reason=interview.reason,
        reason_label=_label(InterviewReason, interview.reason),
        person_name=interview.person.name if interview.person else None, post_title=post.title if post else None,
        vacant=interview.vacant, state=interview.status, state_label=_label(InterviewStatus, interview.status),
        hold_by=interview.hold_by, scheduled_for=interview.scheduled_for, place=interview.place,
        interviewer=interview.interviewer, held_on=interview.held_on,
        overdue=lifecycle.interview_overdue(interview.status, interview.hold_by, today),
        commitments=[CommitmentOut(id=c.pk, text=c.text, due_date=c.due_date, state=c.status,
                                   state_label=_label(CommitmentStatus, c.status),
                                   overdue=lifecycle.commitment_overdue(c.status, c.due_date, today))
                     for c in interview.commitments.all()])


@router.get("/interviews", response=answers(InterviewPage, 403, 404, 422),
            summary="Interviews in the caller's area, with their officials, villages, state and commitments",
            description="Filters: week (2026-W10), unit (a township or village code: the interviews about its "
                        "villages; 404 outside the caller's area) and state (pending, scheduled, held, closed, "
                        "cancelled). The latest week first. Inspectors take no part in interviews (403).")
def interviews(request, week: str = "", unit: str = "", state: str = "", limit: int = Query(100, ge=1, le=1000),
               offset: int = offset_query()):
    user = request.user
    if not can_see_interviews(user):
        raise PermissionDenied
    if week:
        week_or_422(week)
    if state and state not in InterviewStatus.values:
        raise HttpError(422, _("“%(state)s” is not an interview state; use one of %(states)s.")
                        % {"state": state, "states": ", ".join(InterviewStatus.values)})
    rows = selectors.interviews_filtered(user, selectors.Filters(
        status=state, week=week, unit=unit_visible_or_404(user, unit.strip()) if unit.strip() else None))
    rows = rows.select_related("post").prefetch_related(
        Prefetch("commitments", queryset=Commitment.objects.order_by("position", "pk")))
    rows = rows.order_by("-round__week_start", "village__code", "reason", "role", "pk")
    today = timezone.localdate()
    return InterviewPage(count=rows.count(), items=[_interview_out(i, today) for i in rows[offset: offset + limit]])
