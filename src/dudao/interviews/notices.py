"""What interviews tell people, and when: an interview (约谈) scheduled or rescheduled reaches the interviewed unit's
staff, the office, and the group robots of the unit and its township, in the transaction of the schedule."""

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dudao.audit.models import AuditEvent
from dudao.notifications import kinds
from dudao.notifications.services import office_users, publish, unit_staff
from dudao.org.access import town_of
from dudao.org.models import PostRole

SCHEDULED = "interview_scheduled"
# The audit actions of dudao.interviews.services that (re)schedule an interview.
SCHEDULE_ACTIONS = ("interview.schedule", "interview.reschedule")


def _post_role(code: str) -> str:
    return str(PostRole(code).label) if code in PostRole.values else code


def _scheduled(p: kinds.Params) -> tuple[str, str]:
    values = kinds.Params(p, role=_post_role(p.get("role", "")))
    title = _("Interview about %(village)s (week %(week)s)") % values
    if p.get("vacant"):
        body = _("The post of %(role)s at %(unit)s is vacant; the interview about %(village)s is due.") % values
    else:
        body = _("%(person)s, %(role)s at %(unit)s, is to be interviewed about %(village)s.") % values
    if p.get("when") and p.get("place"):
        body += " " + _("Scheduled for %(when)s at %(place)s.") % values
    elif p.get("when"):
        body += " " + _("Scheduled for %(when)s.") % values
    return title, body


kinds.register(kinds.Kind(SCHEDULED, gettext_lazy("interview scheduled"), _scheduled, position=40))


def interview_scheduled(interview) -> None:
    """An interview was scheduled: the unit's staff and the office hear of it, and the group robots of the unit
    and its township."""
    unit = interview.unit
    villages = "、".join(v.name for v in interview.village_list())
    when = interview.scheduled_for
    when_text = ""
    if isinstance(when, dt.datetime):
        when_text = date_format(timezone.localtime(when), "Y-m-d H:i")
    elif isinstance(when, dt.date):
        when_text = when.isoformat()
    person = interview.person
    params = {"week": interview.round.week, "unit": unit.name, "village": villages, "role": interview.role,
              "person": person.name if person is not None else "", "vacant": person is None, "when": when_text,
              "reason": interview.reason, "place": interview.place}
    link = interview.get_absolute_url()
    town = town_of(unit)
    publish(kind=SCHEDULED, key=_schedule_key(interview, when_text, interview.place),
            users=[(u, params, link) for u in unit_staff(unit) + office_users()],
            units=[(u, params, link) for u in (unit, town) if u is not None])


def _schedule_key(interview, when_text: str, place: str) -> str:
    """The event's key: every schedule and reschedule is a new event (everyone is told again, even of a move
    back to an earlier time or place); the same one is told once. dudao.interviews.services audit-logs each
    transition in the transaction that tells of it, so the sequence number of the interview's latest
    (re)schedule event names the transition; the time and place are part of the key as well, for a caller that
    changes them without an audit event of its own."""
    seq = (AuditEvent.objects.filter(object_type="interview", object_id=str(interview.pk),
                                     action__in=SCHEDULE_ACTIONS)
           .order_by("-seq").values_list("seq", flat=True).first())
    return f"interview_scheduled:{interview.pk}:a{seq or 0}:{when_text}:{place}"
